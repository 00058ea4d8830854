/**
 * Generate mode with a real model preset through the whole server: the demo preset (the full
 * causal Wan + VACE + TAE pipeline at miniature size, random weights) registered as the session
 * generator, the camera from Chromium, the generated video back in Chromium.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve.ts';
import { defaultModelsDir } from '../../src/weight-store/hub.ts';
import { liveFfmpegChildren } from '../../src/media/ffmpeg-process.ts';
import { patternY4m } from '../../src/media/test-pattern.ts';
import { loadDemoBundle, type ModelBundle } from '../../src/presets/bundle.ts';
import { GeneratorRegistry, registerPreset } from '../../src/stream/generators.ts';
import { launchChromium } from './browser.ts';

// Browser-side names, loosely typed (the project's Node typings have no DOM).
declare const document: any;
declare const window: any;

let dir: string;
let bundle: ModelBundle;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vace-e2e-demo-'));
  const camera = join(dir, 'camera.y4m');
  writeFileSync(camera, patternY4m(640, 360, 60, 30));
  bundle = await loadDemoBundle({ modelsDir: defaultModelsDir() });
  const generators = new GeneratorRegistry();
  registerPreset(generators, bundle);
  server = await startServer({ port: 0, generators });
  browser = await launchChromium(camera);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await bundle?.release();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('demo preset in generate mode, in real Chromium', () => {
  it('streams generated chunks of the preset size back to the page', async () => {
    const models = (await server.app.fastify.inject({ method: 'GET', url: '/api/models' })).json();
    expect(models.modes).toContainEqual({ id: 'generate', available: true });

    const page = await browser.newPage();
    await page.goto(server.url + '/');
    // The page says plainly that the demo model has random weights.
    await page.waitForFunction(() => /random weights/.test(document.querySelector('#model')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.selectOption('#mode', 'generate');
    await page.fill('#prompt', 'a watercolor fox');
    await page.click('#start');
    const id = await page.waitForFunction(() => window.vace?.sessionId, null, { timeout: 15_000 }).then((h) => h.jsonValue() as Promise<string>);
    const deadline = Date.now() + 45_000;
    let stats = server.app.sessions.get(id)!.stats();
    while (Date.now() < deadline && stats.chunks < 4) {
      await new Promise((r) => setTimeout(r, 250));
      stats = server.app.sessions.get(id)!.stats();
    }
    expect(stats.errors).toEqual([]);
    expect(stats.mode).toBe('generate');
    expect(stats.generator).not.toBeNull();
    expect(stats.chunks).toBeGreaterThanOrEqual(4);
    const video = await page.waitForFunction(
      ({ w, h }) => {
        const v = document.getElementById('remote');
        return v.videoWidth === w && v.videoHeight === h && v.getVideoPlaybackQuality().totalVideoFrames > 12 ? [v.videoWidth, v.videoHeight] : false;
      },
      { w: bundle.width, h: bundle.height },
      { timeout: 20_000 },
    );
    expect(await video.jsonValue()).toEqual([bundle.width, bundle.height]);
    stats = server.app.sessions.get(id)!.stats();
    console.log(`[e2e] demo preset ${bundle.width}×${bundle.height}: ${stats.chunkMs} ms per chunk, output ${stats.outputFps} FPS, ${stats.chunks} chunks`);

    // Leaving mid-chunk frees everything: the session, its generator and its ffmpeg children.
    await page.close();
    const end = Date.now() + 15_000;
    while (Date.now() < end && (server.app.sessions.get(id) || liveFfmpegChildren() > 0)) await new Promise((r) => setTimeout(r, 200));
    expect(server.app.sessions.get(id)).toBeUndefined();
    expect(liveFfmpegChildren()).toBe(0);
  });
});
