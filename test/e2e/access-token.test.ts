/**
 * The access token in real Chromium: the page loads without it, asks for it once (or takes it
 * from ?token= and removes it from the address bar), sends it on every call, and its output link
 * (for an OBS browser source) carries it to the WHEP player page.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/cli/serve.ts';
import { patternY4m } from '../../src/media/test-pattern.ts';
import { GeneratorRegistry } from '../../src/stream/generators.ts';
import { launchChromium } from './browser.ts';
import { waitFor } from './wait-for.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;
declare const sessionStorage: any;

const TOKEN = 'e2e-token-0123456789abcdef';

let dir: string;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vace-e2e-token-'));
  const camera = join(dir, 'camera.y4m');
  writeFileSync(camera, patternY4m(320, 176, 30, 30));
  await build({ configFile: resolve('client/vite.config.ts'), logLevel: 'warn' });
  server = await startServer({ host: '127.0.0.1', port: 0, generators: new GeneratorRegistry(), token: TOKEN });
  browser = await launchChromium(camera);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});


const controlOptions = (p: Page): Promise<number> => p.evaluate(() => document.querySelectorAll('#control option').length);
const tokenFormShown = (p: Page): Promise<boolean> => p.evaluate(() => !document.getElementById('token-form').hidden);

describe('access token in the browser client', () => {
  it('asks for the token when the server wants one, refuses a wrong one, and works with the right one', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await waitFor('the token field', () => tokenFormShown(page));
    expect(await controlOptions(page)).toBe(0);

    await page.fill('#token', 'wrong-token-0123456789abcd');
    await page.click('#token-form button[type=submit]');
    await waitFor('the token field again, saying the token is wrong', async () => (await tokenFormShown(page)) && /wrong/.test(await page.textContent('#token-note') ?? ''));
    expect(await page.evaluate(() => sessionStorage.getItem('vace-live.token'))).toBeNull();

    await page.fill('#token', TOKEN);
    await page.click('#token-form button[type=submit]');
    await waitFor('the controls, loaded with the token', async () => (await controlOptions(page)) > 0);
    expect(await tokenFormShown(page)).toBe(false);
    // Kept for this tab: a reload does not ask again.
    await page.reload();
    await waitFor('the controls after a reload', async () => (await controlOptions(page)) > 0);
    expect(await tokenFormShown(page)).toBe(false);
    await page.close();
  });

  it('takes ?token= from the page URL, removes it from the address bar, and sends it on every call', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?token=${TOKEN}`);
    await waitFor('the controls', async () => (await controlOptions(page)) > 0);
    expect(page.url()).toBe(`${server.url}/`);
    expect(await tokenFormShown(page)).toBe(false);

    await page.click('#start');
    const id = await waitFor<string>('a session', async () => (await page.evaluate(() => window.vace.sessionId as string | null)) ?? undefined);
    expect(server.app.sessions.get(id)).toBeDefined();
    // The output link is what goes into an OBS browser source: it carries the token.
    const link = await page.evaluate(() => document.getElementById('output-link').getAttribute('href') as string);
    expect(link).toBe(`/output.html?session=${id}&token=${TOKEN}`);

    const player = await browser.newPage();
    await player.goto(server.url + link);
    expect(player.url()).toBe(`${server.url}/output.html?session=${id}`);
    await waitFor('WHEP playback with the token', () => player.evaluate(() => window.vaceOutput?.connectionState === 'connected'), 20_000);
    expect(server.app.sessions.get(id)!.stats().viewers).toBeGreaterThanOrEqual(1);
    await player.close();

    // Stop's DELETE carries the token too (the session would also end when its peer goes, so
    // the DELETE's own answer is what tells).
    const deleted = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().endsWith(`/api/sessions/${id}`));
    await page.click('#stop');
    expect([204, 404]).toContain((await deleted).status());
    expect((await deleted).status()).not.toBe(401);
    await waitFor('the session to end', () => server.app.sessions.get(id) === undefined, 5_000);
    await page.close();
  });

  it('the output page without a token says how to pass one', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/output.html?session=nope`);
    await waitFor('the message', async () => /token=/.test((await page.textContent('#msg')) ?? ''));
    await page.close();
  });
});
