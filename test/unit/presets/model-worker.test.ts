/** loadPresetInWorker: the demo preset on a worker thread, driven through the ChunkGenerator seam. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelBundle } from '../../../src/presets/bundle.ts';
import { PresetLoadError } from '../../../src/presets/load.ts';
import { loadPresetInWorker } from '../../../src/presets/model-worker.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-model-worker-'));
const lines: string[] = [];
let bundle: ModelBundle;

beforeAll(async () => {
  bundle = await loadPresetInWorker({ preset: 'demo', modelsDir: dir, device: 'cpu', threads: 1, log: (l) => lines.push(l) });
}, 120_000);

afterAll(async () => {
  await bundle?.release();
  rmSync(dir, { recursive: true, force: true });
});

const frames = (w: number, h: number, n: number, v = 128) => ({ width: w, height: h, count: n, data: new Uint8Array(w * h * 3 * n).fill(v) });

describe('model worker', () => {
  it("forwards the worker's load log and reports the bundle's facts", () => {
    expect(lines.some((l) => /RANDOM weights/.test(l))).toBe(true);
    expect(lines.some((l) => /^loaded .* on cpu \(fp32\)/.test(l))).toBe(true);
    expect(bundle.preset).toBe('demo');
    expect(bundle.devices).toEqual({ dit: 'cpu', tae: 'cpu', textEncoder: 'cpu' });
    expect(bundle.width).toBeGreaterThan(0);
  });

  it('generates chunks of the preset size, with the same reference image sent once and reused', async () => {
    const g = bundle.createGenerator();
    const n = g.framesForNextChunk();
    const ref = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3).fill(200) };
    const params = { prompt: 'a fox', seed: 3, contextScale: 1 };
    const a = await g.generate({ frames: frames(bundle.width, bundle.height, n), params, references: [ref] });
    // (The TAE's first decoded chunk is shorter than the chunk it was given.)
    expect([a.width, a.height]).toEqual([bundle.width, bundle.height]);
    expect(a.count).toBeGreaterThan(0);
    expect(a.data.length).toBe(bundle.width * bundle.height * 3 * a.count);
    // Same object again: the worker resolves it by id (no pixels sent) and the chunk is made.
    const b = await g.generate({ frames: frames(bundle.width, bundle.height, g.framesForNextChunk()), params, references: [ref] });
    expect(b.count).toBe(n);
    await g.dispose();
    await expect(g.generate({ frames: frames(bundle.width, bundle.height, n), params })).rejects.toThrow(/after dispose/);
  }, 120_000);

  it('a bad chunk fails with the generator\'s message and the worker keeps serving', async () => {
    const g = bundle.createGenerator();
    const n = g.framesForNextChunk();
    const params = { prompt: '', seed: 0, contextScale: 1 };
    await expect(g.generate({ frames: frames(8, 8, n), params })).rejects.toThrow(/model worker: .*input frames: got \d+ frames of 8×8/);
    const ok = await g.generate({ frames: frames(bundle.width, bundle.height, n), params });
    expect(ok.count).toBeGreaterThan(0);
    // Two generators are independent streams on one worker.
    const h = bundle.createGenerator();
    g.reset();
    const [x, y] = await Promise.all([g.generate({ frames: frames(bundle.width, bundle.height, n), params }), h.generate({ frames: frames(bundle.width, bundle.height, n), params })]);
    expect(Buffer.compare(Buffer.from(x.data), Buffer.from(y.data))).toBe(0); // both start a fresh stream with seed 0
    await Promise.all([g.dispose(), h.dispose()]);
  }, 120_000);

  it('an unknown preset is a PresetLoadError with the loader\'s message', async () => {
    await expect(loadPresetInWorker({ preset: 'nope', modelsDir: dir, device: 'cpu', log: () => {} })).rejects.toSatisfy((e: unknown) => e instanceof PresetLoadError && /nope/.test((e as Error).message));
  }, 60_000);
});
