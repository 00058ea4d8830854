/**
 * The TAEHV encoder and decoder graphs (src/model/tae/graphs.ts) on a narrow random-weight model
 * with the real layout, run directly (no TaeModel): symbolic time and space, the MemBlock state
 * contract (a call split in two with mem_out → mem_in equals one call), temporal causality, the
 * frame_index gather, the lighttae variants against the Wan VAE statistics applied in JS, the
 * decoder's input clamp 3·tanh(x/3), and its output contract frames = clip(2·clip(raw, 0, 1) − 1)
 * with the leading `skip` frames dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Graph } from '../../../../src/model/onnx/graph.ts';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import {  } from '../../../../src/model/weights/reader.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { TAEW2_1, WAN_VAE_LATENT_MEAN, WAN_VAE_LATENT_STD, parseTaeConfig, type TaeVariant } from '../../../../src/model/tae/config.ts';
import { buildDecoderGraph, buildEncoderGraph } from '../../../../src/model/tae/graphs.ts';
import { scaled, taeLayout, taeWeightShapes } from '../../../../src/model/tae/layout.ts';
import { f32, type F32Tensor, type Tensor } from '../../../../src/model/tensor.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';

// 16 latent channels: lighttae needs the 16 Wan VAE statistics.
const cfg = parseTaeConfig({ ...TAEW2_1, encoder_width: 4, decoder_widths: [4, 4, 4, 4] });
const layout = taeLayout(cfg);
const random = randomWeights(taeWeightShapes(cfg), 3);
// The last decoder conv is scaled up so that raw pixels fall below 0 and above 1 (both clamps work).
const lastConv = `decoder.${layout.decoder[layout.decoder.length - 1]!.index}.`;
const weights: WeightReader = {
  ...random,
  getF32: (k) => {
    const t = random.getF32(k);
    return k.startsWith(lastConv) ? f32(t.shape, t.data.map((v) => v * 8)) : t;
  },
};
const C = cfg.latent_channels;

function randn(shape: number[], seed: number, scale = 1): F32Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return f32(shape, new Xoshiro128(seed).fillNormal(new Float32Array(n)).map((v) => v * scale));
}
function uniformPixels(F: number, H: number, W: number, seed: number): F32Tensor {
  const rng = new Xoshiro128(seed);
  return f32([3, F, H, W], Float32Array.from({ length: 3 * F * H * W }, () => rng.nextUnit() * 2 - 1));
}
const index = (xs: number[]): Tensor => ({ dtype: 'int64', shape: [xs.length], data: BigInt64Array.from(xs, BigInt) });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Frames [t0, t1) of a [C, T, h, w] tensor. */
function frames(t: F32Tensor, t0: number, t1: number): F32Tensor {
  const [c, n, h, w] = t.shape as [number, number, number, number];
  const out = f32([c, t1 - t0, h, w]);
  for (let ch = 0; ch < c; ch++) out.data.set(t.data.subarray((ch * n + t0) * h * w, (ch * n + t1) * h * w), ch * (t1 - t0) * h * w);
  return out;
}
function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

type Mem = typeof layout.encoderMem;
function zeroState(mems: Mem, h: number, w: number): Record<string, F32Tensor> {
  return Object.fromEntries(mems.map((m) => [`mem_in.${m.slot}`, f32([1, m.channels, scaled(h, m.space, 'h'), scaled(w, m.space, 'w')])]));
}
function nextState(out: Record<string, Tensor>, mems: Mem): Record<string, Tensor> {
  return Object.fromEntries(mems.map((m) => [`mem_in.${m.slot}`, out[`mem_out.${m.slot}`]!]));
}

const sessions: ModelSession[] = [];
async function session(kind: 'encoder' | 'decoder', variant: TaeVariant, debugRaw = false): Promise<ModelSession> {
  const g = new Graph(`tae_${kind}`);
  const build = kind === 'encoder' ? buildEncoderGraph : buildDecoderGraph;
  expect(build(g, cfg, paramSource(g, weights), { variant, debugRaw })).toBe(g);
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  sessions.push(s);
  return s;
}

let enc: ModelSession;
let encLight: ModelSession;
let dec: ModelSession;
let decLight: ModelSession;
beforeAll(async () => {
  [enc, encLight, dec, decLight] = [await session('encoder', 'tae'), await session('encoder', 'lighttae'), await session('decoder', 'tae', true), await session('decoder', 'lighttae')];
});
afterAll(async () => {
  for (const s of sessions) await s.release();
});

const encode = (s: ModelSession, x: F32Tensor, idx: number[], state?: Record<string, Tensor>) =>
  s.run({ frames: x, frame_index: index(idx), ...(state ?? zeroState(layout.encoderMem, x.shape[2]!, x.shape[3]!)) });
const decode = (s: ModelSession, z: F32Tensor, skip: number, state?: Record<string, Tensor>) =>
  s.run({ latents: z, skip: index([skip]), ...(state ?? zeroState(layout.decoderMem, z.shape[2]!, z.shape[3]!)) });

describe('buildEncoderGraph', () => {
  it('declares its inputs and outputs and encodes 4 frames per latent at 1/8 size, at any resolution', async () => {
    expect(enc.inputNames).toEqual(['frames', 'frame_index', ...layout.encoderMem.map((m) => `mem_in.${m.slot}`)]);
    expect([...enc.outputNames].sort()).toEqual(['latents', ...layout.encoderMem.map((m) => `mem_out.${m.slot}`)].sort());
    for (const [F, H, W] of [
      [8, 16, 8],
      [4, 8, 24],
    ] as const) {
      const out = await encode(enc, uniformPixels(F, H, W, 1), range(F));
      expect(out.latents!.shape).toEqual([C, F / 4, H / 8, W / 8]);
      for (const m of layout.encoderMem) expect(out[`mem_out.${m.slot}`]!.shape).toEqual([1, m.channels, scaled(H, m.space, 'h'), scaled(W, m.space, 'w')]);
      expect((out.latents!.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });

  it('frame_index picks the frames fed, in order: a reversed index equals reversed frames; a padded index equals repeated frames', async () => {
    const x = uniformPixels(4, 8, 8, 2);
    const reversed = f32([3, 4, 8, 8]);
    for (let c = 0; c < 3; c++) for (let t = 0; t < 4; t++) reversed.data.set(x.data.subarray((c * 4 + t) * 64, (c * 4 + t + 1) * 64), (c * 4 + 3 - t) * 64);
    expect(maxDiff((await encode(enc, x, [3, 2, 1, 0])).latents!, (await encode(enc, reversed, range(4))).latents!)).toBe(0);
    const repeated = f32([3, 8, 8, 8]);
    for (let c = 0; c < 3; c++) for (let t = 0; t < 8; t++) repeated.data.set(x.data.subarray((c * 4 + Math.min(t, 3)) * 64, (c * 4 + Math.min(t, 3) + 1) * 64), (c * 8 + t) * 64);
    const padded = await encode(enc, x, [0, 1, 2, 3, 3, 3, 3, 3]);
    expect(padded.latents!.shape).toEqual([C, 2, 1, 1]);
    expect(maxDiff(padded.latents!, (await encode(enc, repeated, range(8))).latents!)).toBe(0);
  });

  it('is causal in time: later frames never change earlier latents, but do change their own', async () => {
    const x = uniformPixels(8, 8, 8, 3);
    const y = f32(x.shape, x.data.slice());
    for (let c = 0; c < 3; c++) for (let t = 4; t < 8; t++) y.data.fill(0.9, (c * 8 + t) * 64, (c * 8 + t + 1) * 64);
    const a = (await encode(enc, x, range(8))).latents as F32Tensor;
    const b = (await encode(enc, y, range(8))).latents as F32Tensor;
    expect(maxDiff(frames(a, 0, 1), frames(b, 0, 1))).toBe(0);
    expect(maxDiff(frames(a, 1, 2), frames(b, 1, 2))).toBeGreaterThan(1e-4);
  });

  it('a call split in two, the second fed the first one’s mem_out, equals the whole call', async () => {
    const x = uniformPixels(8, 16, 8, 4);
    const whole = (await encode(enc, x, range(8))).latents as F32Tensor;
    const first = await encode(enc, frames(x, 0, 4), range(4));
    const second = await encode(enc, frames(x, 4, 8), range(4), nextState(first, layout.encoderMem));
    expect(maxDiff(first.latents!, frames(whole, 0, 1))).toBeLessThan(1e-5);
    expect(maxDiff(second.latents!, frames(whole, 1, 2))).toBeLessThan(1e-5);
    // The state matters: a fresh second call differs.
    expect(maxDiff((await encode(enc, frames(x, 4, 8), range(4))).latents!, frames(whole, 1, 2))).toBeGreaterThan(1e-4);
  });

  it('lighttae latents are (tae latents − mean) / std per channel with the Wan VAE statistics', async () => {
    const x = uniformPixels(8, 8, 16, 5);
    const raw = (await encode(enc, x, range(8))).latents as F32Tensor;
    const light = (await encode(encLight, x, range(8))).latents as F32Tensor;
    const per = raw.data.length / C;
    const want = f32(raw.shape, raw.data.map((v, i) => (v - WAN_VAE_LATENT_MEAN[Math.floor(i / per)]!) / WAN_VAE_LATENT_STD[Math.floor(i / per)]!));
    expect(maxDiff(light, want)).toBeLessThan(1e-5);
  });

  it('lighttae needs the 16 Wan VAE latent channels', () => {
    const narrow = parseTaeConfig({ ...TAEW2_1, latent_channels: 4, encoder_width: 4, decoder_widths: [4, 4, 4, 4] });
    const g = new Graph('light');
    expect(() => buildEncoderGraph(g, narrow, paramSource(g, randomWeights(taeWeightShapes(narrow), 1)), { variant: 'lighttae' })).toThrow(
      'lighttae needs 16 latent channels (Wan VAE statistics), the config has 4',
    );
  });
});

describe('buildDecoderGraph', () => {
  it('declares its inputs and outputs and decodes each latent into 4 frames at 8× size, at any resolution', async () => {
    expect(dec.inputNames).toEqual(['latents', 'skip', ...layout.decoderMem.map((m) => `mem_in.${m.slot}`)]);
    expect([...dec.outputNames].sort()).toEqual(['frames', 'raw', ...layout.decoderMem.map((m) => `mem_out.${m.slot}`)].sort());
    for (const [T, h, w] of [
      [2, 1, 2],
      [3, 2, 1],
    ] as const) {
      const out = await decode(dec, randn([C, T, h, w], 6), 0);
      expect(out.frames!.shape).toEqual([3, 4 * T, 8 * h, 8 * w]);
      expect(out.raw!.shape).toEqual([4 * T, 3, 8 * h, 8 * w]);
      for (const m of layout.decoderMem) expect(out[`mem_out.${m.slot}`]!.shape).toEqual([1, m.channels, scaled(h, m.space, 'h'), scaled(w, m.space, 'w')]);
    }
  });

  it('frames = clip(2·clip(raw, 0, 1) − 1, −1, 1) in [C, T, H, W] order, with the first `skip` frames dropped', async () => {
    const z = randn([C, 2, 1, 2], 7, 2);
    for (const skip of [0, 3, 8]) {
      const out = await decode(dec, z, skip);
      const raw = out.raw as F32Tensor;
      const [T4, , H, W] = raw.shape as [number, number, number, number];
      expect(raw.data.some((v) => v < 0) && raw.data.some((v) => v > 1) && raw.data.some((v) => v > 0 && v < 1)).toBe(true);
      const kept = T4 - skip;
      expect(out.frames!.shape).toEqual([3, kept, H, W]);
      const want = f32([3, kept, H, W]);
      for (let c = 0; c < 3; c++)
        for (let t = 0; t < kept; t++)
          for (let p = 0; p < H * W; p++) {
            const r = raw.data[((t + skip) * 3 + c) * H * W + p]!;
            want.data[(c * kept + t) * H * W + p] = Math.min(1, Math.max(-1, 2 * Math.min(1, Math.max(0, r)) - 1));
          }
      expect(maxDiff(out.frames!, want), `skip ${skip}`).toBe(0);
    }
  });

  it('latents pass 3·tanh(x/3) first: saturated latents of any magnitude decode alike', async () => {
    const z = randn([C, 1, 1, 1], 8).data.map((v) => (v >= 0 ? 1 : -1));
    const big = await decode(dec, f32([C, 1, 1, 1], z.map((v) => v * 1e3)), 0);
    const bigger = await decode(dec, f32([C, 1, 1, 1], z.map((v) => v * 1e6)), 0);
    expect(maxDiff(big.raw!, bigger.raw!)).toBe(0);
    const small = await decode(dec, f32([C, 1, 1, 1], z.map((v) => v * 0.5)), 0);
    expect(maxDiff(big.raw!, small.raw!)).toBeGreaterThan(1e-4);
  });

  it('a call split in two, the second fed the first one’s mem_out, equals the whole call', async () => {
    const z = randn([C, 2, 2, 1], 9);
    const whole = (await decode(dec, z, 0)).frames as F32Tensor;
    const first = await decode(dec, frames(z, 0, 1), 0);
    const second = await decode(dec, frames(z, 1, 2), 0, nextState(first, layout.decoderMem));
    expect(maxDiff(first.frames!, frames(whole, 0, 4))).toBeLessThan(1e-5);
    expect(maxDiff(second.frames!, frames(whole, 4, 8))).toBeLessThan(1e-5);
    expect(maxDiff((await decode(dec, frames(z, 1, 2), 0)).frames!, frames(whole, 4, 8))).toBeGreaterThan(1e-4);
  });

  it('lighttae decodes z like tae decodes z·std + mean', async () => {
    const z = randn([C, 1, 1, 2], 10);
    const per = z.data.length / C;
    const shifted = f32(z.shape, z.data.map((v, i) => v * WAN_VAE_LATENT_STD[Math.floor(i / per)]! + WAN_VAE_LATENT_MEAN[Math.floor(i / per)]!));
    const light = (await decode(decLight, z, 0)).frames!;
    expect(decLight.outputNames).not.toContain('raw');
    expect(maxDiff(light, (await decode(dec, shifted, 0)).frames!)).toBeLessThan(1e-5);
  });
});
