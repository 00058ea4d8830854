/**
 * The streaming generator end to end on the demo models (random weights, real graphs): chunk
 * sizes, determinism, VACE modes, V2V, and prompt changes that never stall a chunk.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaeStreamCache } from '../../../cache/tae-cache.ts';
import { allocRgbFrames, type RgbFrames } from '../../../src/frames.ts';
import { safetensorsWeights } from '../../../src/model/weights/reader.ts';
import { TaeModel } from '../../../src/model/tae/model.ts';
import { TaeStreamVae } from '../../../src/pipeline/tae-stream-vae.ts';
import { WanModel } from '../../../src/model/wan/model.ts';
import { SafetensorsFile } from '../../../src/model/weights/safetensors.ts';
import { randomTensor } from '../../../src/model/weights/random.ts';
import type { F32Tensor } from '../../../src/model/tensor.ts';
import { WanStreamGenerator, type PromptEncoder } from '../../../src/pipeline/wan-generator.ts';
import { demoConfig, ensureDemoFiles } from '../../../src/presets/demo.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-gen-'));
const cfg = demoConfig();
let dit: WanModel;
let tae: TaeModel;

/** A text encoder whose results the test releases when it wants (deterministic per prompt). */
class ControlledText implements PromptEncoder {
  readonly calls: string[] = [];
  readonly gates = new Map<string, () => void>();
  hold = new Set<string>();
  encode(prompt: string): Promise<F32Tensor> {
    this.calls.push(prompt);
    const t = randomTensor(7, `prompt:${prompt}`, [cfg.wan.text_len, cfg.wan.text_dim]);
    if (!this.hold.has(prompt)) return Promise.resolve(t);
    return new Promise((resolve) => this.gates.set(prompt, () => resolve(t)));
  }
}

function camera(seed: number): RgbFrames {
  const f = allocRgbFrames(cfg.latent.width * 8, cfg.latent.height * 8, cfg.latent.frames * 4);
  for (let i = 0; i < f.data.length; i++) f.data[i] = (i * 31 + seed * 17) & 255;
  return f;
}

function generator(text: PromptEncoder = new ControlledText()) {
  return new WanStreamGenerator({ dit, vae: new TaeStreamVae(tae, new TaeStreamCache()), text, sinkFrames: cfg.sinkFrames, windowFrames: cfg.windowFrames });
}

const params = (over: Partial<{ prompt: string; seed: number; noiseScale: number }> = {}) => ({ prompt: 'a neon city', seed: 1, contextScale: 1, ...over });

beforeAll(async () => {
  const files = ensureDemoFiles(dir);
  const shape = { latentFrames: cfg.latent.frames, latentH: cfg.latent.height, latentW: cfg.latent.width };
  dit = await WanModel.load(cfg.wan, safetensorsWeights(new SafetensorsFile(files.dit)), shape, { cache: true, vace: true });
  tae = await TaeModel.load(cfg.tae, safetensorsWeights(new SafetensorsFile(files.tae)));
}, 120_000);

afterAll(async () => {
  await dit?.release();
  await tae?.release();
  rmSync(dir, { recursive: true, force: true });
});

describe('WanStreamGenerator', () => {
  it('takes 12 frames per chunk and returns 9 frames on the first chunk, then 12, at the model size', async () => {
    const g = generator();
    expect(g.framesForNextChunk()).toBe(12);
    const a = await g.generate({ frames: camera(1), params: params() });
    const b = await g.generate({ frames: camera(2), params: params() });
    expect([a.count, a.width, a.height]).toEqual([9, 256, 256]);
    expect([b.count, b.width, b.height]).toEqual([12, 256, 256]);
  });

  it('is deterministic for a seed and differs for another seed', async () => {
    const run = async (seed: number) => {
      const g = generator();
      await g.generate({ frames: camera(1), params: params({ seed }) });
      return (await g.generate({ frames: camera(2), params: params({ seed }) })).data;
    };
    const [x, y, z] = [await run(3), await run(3), await run(4)];
    expect(Buffer.compare(Buffer.from(x), Buffer.from(y))).toBe(0);
    expect(Buffer.compare(Buffer.from(x), Buffer.from(z))).not.toBe(0);
  });

  it('runs conditioning, masked, reference-only and V2V chunks, and the control changes the output', async () => {
    const g = generator();
    const plain = await g.generate({ frames: camera(1), params: params() });
    expect(g.lastReport!.mode).toBeUndefined();
    g.reset();
    const cond = await g.generate({ frames: camera(1), control: { frames: camera(9) }, params: params() });
    expect(g.lastReport!.mode!.kind).toBe('conditioning');
    expect(Buffer.compare(Buffer.from(plain.data), Buffer.from(cond.data))).not.toBe(0);
    const mask = { width: 256, height: 256, count: 12, data: new Float32Array(256 * 256 * 12).map((_, i) => (i % 256 < 128 ? 1 : 0)) };
    await g.generate({ frames: camera(2), control: { frames: camera(9), mask }, params: params() });
    expect(g.lastReport!.mode!.masked).toBe(true);
    const ref = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 3).fill(200) };
    await g.generate({ frames: camera(3), references: [ref], params: params() });
    await g.generate({ frames: camera(4), references: [ref], params: params() });
    // The static reference context is encoded once; its hints are computed on the first chunk only.
    expect(g.hintCacheStats.contextBuilds).toBe(1);
    expect(g.hintCacheStats.hintHits).toBe(4);
    const v2v = await g.generate({ frames: camera(5), params: params({ noiseScale: 0.7 }) });
    expect(v2v.count).toBe(12);
  });

  it('keeps generating while a new prompt encodes, blends it in, and recaches exactly once', async () => {
    const text = new ControlledText();
    const g = generator(text);
    for (let c = 0; c < 3; c++) await g.generate({ frames: camera(c), params: params() });
    text.hold.add('a forest');
    // The new prompt is still encoding: this chunk must not wait for it.
    const during = await g.generate({ frames: camera(3), params: params({ prompt: 'a forest' }) });
    expect(during.count).toBe(12);
    expect(g.lastReport!.promptAlpha).toBe(1);
    expect(g.recaches).toBe(0);
    text.gates.get('a forest')!();
    await new Promise((r) => setImmediate(r));
    const alphas: number[] = [];
    const recached: number[] = [];
    for (let c = 0; c < 6; c++) {
      const out = await g.generate({ frames: camera(4 + c), params: params({ prompt: 'a forest' }) });
      expect(out.count).toBe(12);
      alphas.push(g.lastReport!.promptAlpha);
      recached.push(g.lastReport!.recached);
    }
    expect(alphas).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    expect(g.recaches).toBe(1);
    // The recache re-ran the chunks in the window behind the sink: (12 − 3) frames / 3 = 3 chunks.
    expect(recached).toEqual([0, 0, 0, 3, 0, 0]);
    expect(text.calls.filter((p) => p === 'a forest')).toHaveLength(1);
  });

  it('reads transitionChunks and interpolation from the chunk parameters', async () => {
    const text = new ControlledText();
    const calls: (string | undefined)[] = [];
    const spy: PromptEncoder = { encode: (p, interpolation) => (calls.push(interpolation), text.encode(p)) };
    const g = generator(spy);
    await g.generate({ frames: camera(0), params: params({ prompt: 'a cat:0.5 | a dog:0.5' }) });
    const next = { ...params({ prompt: 'a forest' }), transitionChunks: 2, interpolation: 'slerp' as const };
    await g.generate({ frames: camera(1), params: next }); // starts encoding the new prompt
    await new Promise((r) => setImmediate(r));
    const alphas: number[] = [];
    for (let c = 0; c < 3; c++) {
      await g.generate({ frames: camera(2 + c), params: next });
      alphas.push(g.lastReport!.promptAlpha);
    }
    expect(alphas).toEqual([0.5, 1, 1]);
    expect(calls).toEqual([undefined, 'slerp']);
    expect(g.recaches).toBe(1);
  });

  it('rejects frames of the wrong size with a clear error and keeps working', async () => {
    const g = generator();
    await expect(g.generate({ frames: allocRgbFrames(100, 100, 12), params: params() })).rejects.toThrow(/this model takes 12 frames of 256×256/);
    const ok = await g.generate({ frames: camera(1), params: params() });
    expect(ok.count).toBe(9);
  });
});
