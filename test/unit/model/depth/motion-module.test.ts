/**
 * Video-Depth-Anything's temporal motion module (src/model/depth/motion-module.ts) at a tiny size
 * against a plain-JS float64 evaluation: per-frame GroupNorm, proj_in, two attention blocks over
 * TIME at every spatial position (sinusoid table added first, queries from the current frames
 * only when a cached frame is prepended), GEGLU feed-forward, proj_out and the residual; the
 * cache outputs (last frame's normed pre-PE input); and `cacheValid = false` reproducing the
 * cache-less module.
 */
import { describe, expect, it } from 'vitest';
import type { DepthConfig } from '../../../../src/model/depth/config.ts';
import { ATTENTION_BLOCKS, motionModule } from '../../../../src/model/depth/motion-module.ts';
import { depthWeightShapes } from '../../../../src/model/depth/weight-shapes.ts';
import { Graph, type Value } from '../../../../src/model/onnx/graph.ts';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import {  } from '../../../../src/model/weights/reader.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { f32, type F32Tensor, type Tensor } from '../../../../src/model/tensor.ts';
import { randomTensor, randomWeights } from '../../../../src/model/weights/random.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';

const C = 4;
const cfg: DepthConfig = {
  embedDim: 8,
  numHeads: 2,
  depth: 1,
  layers: [0],
  patchSize: 14,
  posGrid: 2,
  interpolateOffset: 0.1,
  features: C,
  outChannels: [C, C, C, C],
  motionHeads: 2,
  motionGroups: 2,
  temporalMaxLen: 8,
  inputSize: 28,
};
const PREFIX = 'head.motion_modules.0';
const [T, h, w] = [3, 2, 2];
const S = h * w;

const random = randomWeights(depthWeightShapes(cfg), 23);
// The sinusoid tables get unit scale (the generic init would make them ~0.06 and nearly invisible).
const weights: WeightReader = { ...random, getF32: (k) => (k.endsWith('.pe') ? f32(random.shape(k), randomTensor(5, k, random.shape(k)).data.map((v) => v * Math.sqrt(8 * C))) : random.getF32(k)) };
const wt = (k: string) => weights.getF32(k).data;

function randn(shape: number[], seed: number): F32Tensor {
  return f32(shape, new Xoshiro128(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))));
}

interface Variant {
  /** Cache [S, 1, C] per attention block. */
  cache?: F32Tensor[];
  /** Build with a cache_valid input and feed this value. */
  valid?: boolean;
}

async function run(x: F32Tensor, v: Variant = {}): Promise<Record<string, Tensor>> {
  const g = new Graph('motion');
  const feeds: Record<string, Tensor> = { x };
  let cache: Value[] | undefined;
  let cacheValid: Value | undefined;
  if (v.cache) {
    cache = v.cache.map((c, k) => {
      feeds[`cache${k}`] = c;
      return g.input(`cache${k}`, 'float32', [S, 1, C]);
    });
  }
  if (v.valid !== undefined) {
    cacheValid = g.input('valid', 'bool', [1]);
    feeds.valid = { dtype: 'bool', shape: [1], data: Uint8Array.of(v.valid ? 1 : 0) };
  }
  const r = motionModule(g.input('x', 'float32', [T, C, h, w]), cfg, paramSource(g, weights), PREFIX, cache, cacheValid);
  expect(r.out.shape).toEqual([T, C, h, w]);
  expect(r.cache).toHaveLength(ATTENTION_BLOCKS);
  g.output(r.out, 'out');
  r.cache.forEach((c, k) => {
    expect(c.shape).toEqual([S, 1, C]);
    g.output(c, `cache_out${k}`);
  });
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

// ---- plain-JS reference (float64) ----

type M = number[][];
function erf(x: number): number {
  const a = Math.abs(x);
  if (a < 2.5) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 60; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * ((2 / Math.sqrt(Math.PI)) * sum);
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (a + f);
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
}
const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
const lin = (x: M, prefix: string, bias = true): M => {
  const W = weights.getF32(`${prefix}.weight`);
  const [out, inn] = W.shape as [number, number];
  const b = bias ? wt(`${prefix}.bias`) : new Float32Array(out);
  return x.map((r) => Array.from({ length: out }, (_, o) => r.reduce((a, v, k) => a + v * W.data[o * inn + k]!, b[o]!)));
};
const ln = (x: M, prefix: string): M =>
  x.map((r) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * wt(`${prefix}.weight`)[j]! + wt(`${prefix}.bias`)[j]!);
  });

/** Rows in (frame, position) order: row t·S + s. */
function reference(x: F32Tensor, cache?: F32Tensor[]): { out: Float64Array; cacheOut: M[] } {
  const tt = `${PREFIX}.temporal_transformer`;
  const tb = `${tt}.transformer_blocks.0`;
  const G = cfg.motionGroups;
  const cg = C / G;
  const at = (t: number, c: number, s: number) => x.data[(t * C + c) * S + s]!;
  // GroupNorm per frame over (C/G channels × all positions), eps 1e-6, affine.
  const normed: M = Array.from({ length: T * S }, () => new Array<number>(C).fill(0));
  for (let t = 0; t < T; t++)
    for (let g = 0; g < G; g++) {
      const vals: number[] = [];
      for (let c = g * cg; c < (g + 1) * cg; c++) for (let s = 0; s < S; s++) vals.push(at(t, c, s));
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      const variance = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / vals.length;
      for (let c = g * cg; c < (g + 1) * cg; c++)
        for (let s = 0; s < S; s++) normed[t * S + s]![c] = ((at(t, c, s) - mean) / Math.sqrt(variance + 1e-6)) * wt(`${tt}.norm.weight`)[c]! + wt(`${tt}.norm.bias`)[c]!;
    }
  let z = lin(normed, `${tt}.proj_in`);
  const cacheOut: M[] = [];
  const H = cfg.motionHeads;
  const d = C / H;
  for (let k = 0; k < ATTENTION_BLOCKS; k++) {
    const ab = `${tb}.attention_blocks.${k}`;
    const n = ln(z, `${tb}.norms.${k}`);
    cacheOut.push(Array.from({ length: S }, (_, s) => n[(T - 1) * S + s]!));
    const P = cache ? 1 : 0;
    const pe = wt(`${ab}.pos_encoder.pe`);
    const attended: M = Array.from({ length: T * S }, () => new Array<number>(C).fill(0));
    for (let s = 0; s < S; s++) {
      // The sequence at this position: [cached frame, current frames], plus pe[0 … P+T).
      const seq: M = [...(cache ? [Array.from(cache[k]!.data.subarray(s * C, (s + 1) * C))] : []), ...Array.from({ length: T }, (_, t) => n[t * S + s]!)];
      const withPe = seq.map((r, i) => r.map((v, c) => v + pe[i * C + c]!));
      const q = lin(withPe.slice(P), `${ab}.to_q`, false);
      const kk = lin(withPe, `${ab}.to_k`, false);
      const vv = lin(withPe, `${ab}.to_v`, false);
      for (let hh = 0; hh < H; hh++)
        for (let t = 0; t < T; t++) {
          const logits = kk.map((kr) => {
            let acc = 0;
            for (let c = 0; c < d; c++) acc += q[t]![hh * d + c]! * kr[hh * d + c]!;
            return acc / Math.sqrt(d);
          });
          const m = Math.max(...logits);
          const e = logits.map((l) => Math.exp(l - m));
          const zs = e.reduce((a, b) => a + b, 0);
          for (let j = 0; j < kk.length; j++) for (let c = 0; c < d; c++) attended[t * S + s]![hh * d + c]! += (e[j]! / zs) * vv[j]![hh * d + c]!;
        }
    }
    const o = lin(attended, `${ab}.to_out.0`);
    z = z.map((r, i) => r.map((v, c) => v + o[i]![c]!));
  }
  const proj = lin(ln(z, `${tb}.ff_norm`), `${tb}.ff.net.0.proj`);
  const inner = proj[0]!.length / 2;
  const ff = lin(
    proj.map((r) => Array.from({ length: inner }, (_, j) => r[j]! * gelu(r[inner + j]!))),
    `${tb}.ff.net.2`,
  );
  z = z.map((r, i) => r.map((v, c) => v + ff[i]![c]!));
  const y = lin(z, `${tt}.proj_out`);
  const out = new Float64Array(T * C * S);
  for (let t = 0; t < T; t++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) out[(t * C + c) * S + s] = y[t * S + s]![c]! + at(t, c, s);
  return { out, cacheOut };
}

function maxDiff(got: Tensor, want: ArrayLike<number>): number {
  const d = got.data as Float32Array;
  expect(d.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i]! - want[i]!));
  return m;
}

const x = randn([T, C, h, w], 1);
const cache = [randn([S, 1, C], 2), randn([S, 1, C], 3)];

describe('motionModule', () => {
  it('without a cache matches the JS reference; cache outputs are the last frame’s normed input per block', async () => {
    const out = await run(x);
    const ref = reference(x);
    expect(maxDiff(out.out!, ref.out)).toBeLessThan(1e-4);
    for (let k = 0; k < ATTENTION_BLOCKS; k++) expect(maxDiff(out[`cache_out${k}`]!, ref.cacheOut[k]!.flat()), `cache_out${k}`).toBeLessThan(1e-5);
    // Attention runs over time, without a causal mask: the last frame changes the first one's output.
    const y = f32(x.shape, x.data.map((v, i) => (i >= 2 * C * S ? -v : v)));
    const first = (t: Tensor) => (t.data as Float32Array).subarray(0, C * S);
    expect(maxDiff(f32([C * S], first(out.out!)), first((await run(y)).out!))).toBeGreaterThan(1e-3);
  });

  it('with a cached frame matches the JS reference (keys over [cache, current], pe[0…P+T), queries from the current frames)', async () => {
    const ref = reference(x, cache);
    expect(maxDiff((await run(x, { cache })).out!, ref.out)).toBeLessThan(1e-4);
    expect(maxDiff((await run(x, { cache, valid: true })).out!, ref.out)).toBeLessThan(1e-4);
    // The next cache is this call's own last frame, normed: block 0's is the same with or without a
    // cache, block 1's sees block 0's output and so the cache.
    const got = await run(x, { cache });
    for (let k = 0; k < ATTENTION_BLOCKS; k++) expect(maxDiff(got[`cache_out${k}`]!, ref.cacheOut[k]!.flat()), `cache_out${k}`).toBeLessThan(1e-5);
    expect(maxDiff(got.cache_out0!, reference(x).cacheOut[0]!.flat())).toBeLessThan(1e-5);
    expect(maxDiff(got.cache_out1!, reference(x).cacheOut[1]!.flat())).toBeGreaterThan(1e-4);
  });

  it('cache_valid = false ignores the cache and reproduces the cache-less module', async () => {
    const invalid = await run(x, { cache, valid: false });
    const plain = await run(x);
    expect(maxDiff(invalid.out!, plain.out!.data as Float32Array)).toBeLessThan(1e-6);
    const withCache = reference(x, cache).out;
    expect(maxDiff(invalid.out!, withCache)).toBeGreaterThan(1e-3);
  });
});
