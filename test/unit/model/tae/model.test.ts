/**
 * The TAE runner on a narrow random-weight model with the real layout: frame arithmetic,
 * streaming state, and the errors a caller can cause.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTaeConfig, TAEW2_1 } from '../../../../src/model/tae/config.ts';
import { TaeModel } from '../../../../src/model/tae/model.ts';
import { taeWeightShapes } from '../../../../src/model/tae/layout.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import { TaeDecoderState, TaeEncoderState } from '../../../../src/model/tae/state.ts';
import { f32, type F32Tensor } from '../../../../src/model/tensor.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';
import { TaeStreamVae } from '../../../../src/pipeline/tae-stream-vae.ts';
import { allocRgbFrames } from '../../../../src/frames.ts';

const cfg = parseTaeConfig({ ...TAEW2_1, latent_channels: 4, encoder_width: 8, decoder_widths: [16, 8, 8, 8] });
const H = 16;
const W = 24;

function clip(frames: number, seed = 1): F32Tensor {
  const t = f32([3, frames, H, W]);
  let s = seed;
  for (let i = 0; i < t.data.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    t.data[i] = (s / 2147483648) * 2 - 1;
  }
  return t;
}

/** Frames [t0, t1) of a [C, T, h, w] tensor. */
function frames(t: F32Tensor, t0: number, t1: number): F32Tensor {
  const [c, n, h, w] = t.shape as [number, number, number, number];
  const out = f32([c, t1 - t0, h, w]);
  for (let ch = 0; ch < c; ch++) out.data.set(t.data.subarray((ch * n + t0) * h * w, (ch * n + t1) * h * w), ch * (t1 - t0) * h * w);
  return out;
}

function concatTime(parts: F32Tensor[]): F32Tensor {
  const [c, , h, w] = parts[0]!.shape as [number, number, number, number];
  const n = parts.reduce((a, p) => a + p.shape[1]!, 0);
  const out = f32([c, n, h, w]);
  let t0 = 0;
  for (const p of parts) {
    const k = p.shape[1]!;
    for (let ch = 0; ch < c; ch++) out.data.set(p.data.subarray(ch * k * h * w, (ch + 1) * k * h * w), (ch * n + t0) * h * w);
    t0 += k;
  }
  return out;
}

function maxDiff(a: F32Tensor, b: F32Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}

describe('TaeModel (narrow random weights, real layout)', () => {
  let tae: TaeModel;
  beforeAll(async () => {
    tae = await TaeModel.load(cfg, randomWeights(taeWeightShapes(cfg), 7), { threads: 1 });
  });
  afterAll(async () => tae?.release());

  it('pads each encode call to a multiple of 4: 13 → 4 latents, 12 → 3, 1 → 1', async () => {
    expect((await tae.encode(clip(13))).shape).toEqual([4, 4, H / 8, W / 8]);
    expect((await tae.encode(clip(12))).shape).toEqual([4, 3, H / 8, W / 8]);
    expect((await tae.encode(clip(1))).shape).toEqual([4, 1, H / 8, W / 8]);
  });

  it('padding repeats the last frame: 13 frames encode like 13 + 3 copies of frame 12', async () => {
    const x = clip(13);
    const last = frames(x, 12, 13);
    expect(maxDiff(await tae.encode(x), await tae.encode(concatTime([x, last, last, last])))).toBe(0);
  });

  it('streaming in chunks of 4 frames matches one whole-clip encode', async () => {
    const x = clip(16);
    const state = new TaeEncoderState();
    const parts: F32Tensor[] = [];
    for (let t = 0; t < 16; t += 4) parts.push(await tae.encode(frames(x, t, t + 4), state));
    expect(maxDiff(concatTime(parts), await tae.encode(x))).toBeLessThan(1e-5);
  });

  it('13-then-12 streaming differs from a whole encode (the padded copies become history)', async () => {
    const x = clip(25);
    const state = new TaeEncoderState();
    const first = await tae.encode(frames(x, 0, 13), state);
    await tae.encode(frames(x, 13, 25), state);
    const wholeFirst = frames(await tae.encode(x), 0, 4);
    expect(maxDiff(first, wholeFirst)).toBeGreaterThan(1e-3);
  });

  it('decoder trims 3 frames on the first streaming call only; streamed frames equal a whole decode', async () => {
    const z = await tae.encode(clip(24));
    const state = new TaeDecoderState();
    const a = await tae.decode(frames(z, 0, 3), state);
    const b = await tae.decode(frames(z, 3, 6), state);
    expect(a.shape).toEqual([3, 9, H, W]);
    expect(b.shape).toEqual([3, 12, H, W]);
    expect(state.framesOut).toBe(21);
    const whole = await tae.decode(z);
    expect(whole.shape).toEqual([3, 21, H, W]);
    expect(maxDiff(concatTime([a, b]), whole)).toBeLessThan(1e-5);
    state.reset();
    expect((await tae.decode(frames(z, 0, 4), state)).shape[1]).toBe(13);
  });

  it('a state from another resolution is refused with a hint to reset', async () => {
    const state = new TaeEncoderState();
    await tae.encode(clip(4), state);
    await expect(tae.encode(f32([3, 4, 2 * H, W]), state)).rejects.toThrow(/reset the cache when the resolution changes/);
  });

  it('bad input shapes are refused with the expected layout named', async () => {
    await expect(tae.encode(f32([3, 4, 12, W]))).rejects.toThrow(/multiple of 8/);
    await expect(tae.encode(f32([4, 4, H, W]))).rejects.toThrow(/frames must be \[3, F ≥ 1, H, W\]/);
    await expect(tae.decode(f32([5, 1, 2, 2]))).rejects.toThrow(/latents must be \[4, T ≥ 1, h, w\]/);
  });

  it('a TGrow weight with extra output rows uses its last rows (upstream patch_tgrow_layers)', async () => {
    const base = randomWeights(taeWeightShapes(cfg), 7);
    const key = 'decoder.13.conv.weight';
    const w = base.getF32(key);
    const taller = f32([2 * w.shape[0]!, ...w.shape.slice(1)]);
    taller.data.fill(1e3);
    taller.data.set(w.data, w.data.length);
    const patched: WeightReader = { ...base, shape: (k) => (k === key ? taller.shape : base.shape(k)), getF32: (k) => (k === key ? taller : base.getF32(k)) };
    const other = await TaeModel.load(cfg, patched, { threads: 1, parts: 'decoder' });
    try {
      const z = await tae.encode(clip(8));
      expect(maxDiff(await other.decode(z), await tae.decode(z))).toBe(0);
    } finally {
      await other.release();
    }
  });

  it('as the generator VAE: uint8 chunks of 13 then 12 frames in, 13 then 12 frames out; reset trims again', async () => {
    const vae = new TaeStreamVae(tae);
    const chunk = (n: number) => {
      const f = allocRgbFrames(W, H, n);
      for (let i = 0; i < f.data.length; i++) f.data[i] = (i * 37) % 256;
      return f;
    };
    const z0 = await vae.encodeVideo(chunk(13));
    expect(vae.caches.video.fresh).toBe(false);
    const z1 = await vae.encodeVideo(chunk(12));
    expect([z0.shape[1], z1.shape[1]]).toEqual([4, 3]);
    const out0 = await vae.decodeVideo(z0);
    const out1 = await vae.decodeVideo(z1);
    expect([out0.count, out1.count, out0.width, out0.height]).toEqual([13, 12, W, H]);
    expect(vae.caches.inactive.fresh && vae.caches.reactive.fresh).toBe(true);
    vae.reset();
    expect(vae.caches.video.fresh && vae.caches.decoder.fresh).toBe(true);
    expect((await vae.decodeVideo(z1)).count).toBe(9);
  });
});
