/**
 * `npm start -- --device webgpu` end to end: the real command (client build, demo preset load,
 * warm-up, server) in its own process, Chromium's camera in, generated frames back, and proof that
 * the models ran on WebGPU rather than on a quiet CPU fallback: the server lists where each model
 * runs (/api/models → generators[].devices, after any fallback) and the log has no provider failure.
 * On a machine without a GPU this runs on Mesa's lavapipe (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternY4m } from '../../src/media/test-pattern.ts';
import { demoConfig } from '../../src/presets/demo.ts';
import { requireDevice } from '../support/require-device.ts';
import { launchChromium } from './browser.ts';

// Browser-side names, loosely typed (the project's Node typings have no DOM).
declare const document: any;
declare const window: any;

const START_TIMEOUT_MS = 240_000; // client build + demo weights + load + warm-up on a software GPU
let dir: string;
let child: ChildProcess | undefined;
let log = '';
let url: string;
let browser: Browser;

/** Runs `npm start -- …` in its own process group and resolves with the URL it prints once it listens. */
function npmStart(args: string[]): Promise<string> {
  child = spawn('npm', ['start', '--', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  return new Promise((resolve, reject) => {
    const onData = (b: Buffer) => {
      log += b.toString();
      const m = /vace-live is live at (http:\/\/\S+)/.exec(log);
      if (m) resolve(m[1]!);
    };
    child!.stdout!.on('data', onData);
    child!.stderr!.on('data', onData);
    child!.once('exit', (code, signal) => reject(new Error(`npm start exited (${code ?? signal}) before listening:\n${log.slice(-3000)}`)));
  });
}

/** SIGTERM to the whole group (npm, its shell, tsx, node), SIGKILL if it is still there after 15 s. */
async function stopNpmStart(): Promise<void> {
  const c = child;
  if (!c?.pid || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  process.kill(-c.pid, 'SIGTERM');
  const timer = setTimeout(() => process.kill(-c.pid!, 'SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function getJson(path: string): Promise<any> {
  const r = await fetch(url + path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

beforeAll(async () => {
  // One clear message (what to install) instead of a server that falls back to CPU.
  await requireDevice('webgpu');
  dir = mkdtempSync(join(tmpdir(), 'vace-e2e-webgpu-'));
  const camera = join(dir, 'camera.y4m');
  writeFileSync(camera, patternY4m(640, 360, 60, 30));
  url = await npmStart(['--device', 'webgpu', '--port', '0', '--models-dir', join(dir, 'models')]);
  browser = await launchChromium(camera);
}, START_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await stopNpmStart();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm start -- --device webgpu', () => {
  it('loads every model of the demo preset on webgpu, with no CPU fallback', async () => {
    expect(log).toMatch(/loaded demo\b.* on webgpu/);
    expect(log).not.toMatch(/provider failed|retrying on CPU|using CPU/);
    const models = await getJson('/api/models');
    expect(models.generators).toEqual([expect.objectContaining({ id: 'demo', devices: { dit: 'webgpu', tae: 'webgpu', textEncoder: 'webgpu' } })]);
  });

  it('streams generated chunks of the preset size back to Chromium', async () => {
    const page = await browser.newPage();
    await page.goto(url + '/');
    await page.waitForFunction(() => /random weights/.test(document.querySelector('#model')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.selectOption('#mode', 'generate');
    await page.fill('#prompt', 'a watercolor fox');
    await page.click('#start');
    const id = await page.waitForFunction(() => window.vace?.sessionId, null, { timeout: 15_000 }).then((h) => h.jsonValue() as Promise<string>);
    // lavapipe runs a demo chunk in seconds, not milliseconds: two chunks (24 frames) are enough.
    const deadline = Date.now() + 150_000;
    let stats = (await getJson(`/api/sessions/${id}/stats`)) as { chunks: number; errors: unknown[]; mode: string; generator: string | null; chunkMs: number | null; outputFps: number };
    while (Date.now() < deadline && stats.chunks < 2) {
      await new Promise((r) => setTimeout(r, 500));
      stats = await getJson(`/api/sessions/${id}/stats`);
    }
    expect(stats.errors).toEqual([]);
    expect(stats.mode).toBe('generate');
    expect(stats.generator).not.toBeNull();
    expect(stats.chunks).toBeGreaterThanOrEqual(2);
    const { latent } = demoConfig();
    const size = { w: latent.width * 8, h: latent.height * 8 };
    const video = await page.waitForFunction(
      ({ w, h }) => {
        const v = document.getElementById('remote');
        return v.videoWidth === w && v.videoHeight === h && v.getVideoPlaybackQuality().totalVideoFrames > 12 ? [v.videoWidth, v.videoHeight] : false;
      },
      size,
      { timeout: 60_000 },
    );
    expect(await video.jsonValue()).toEqual([size.w, size.h]);
    stats = await getJson(`/api/sessions/${id}/stats`);
    console.log(`[e2e] npm start --device webgpu, demo ${size.w}×${size.h}: ${stats.chunkMs} ms per chunk, output ${stats.outputFps} FPS, ${stats.chunks} chunks`);
    await page.close();
  }, 300_000);
});
