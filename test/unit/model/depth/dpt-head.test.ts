/**
 * The temporal DPT head (src/model/depth/dpt-head.ts) at tiny widths: output and cache shapes
 * (the ones depthCacheShapes announces, in cache order), a ReLU'd finite depth map at 14·patch
 * size, frames coupled only through the motion modules (with those made identities, a clip is
 * its frames run one by one), `cacheValid = false` reproducing the cache-less head, and the
 * token-count check.
 */
import { describe, expect, it } from 'vitest';
import type { DepthConfig } from '../../../../src/model/depth/config.ts';
import { CACHE_ENTRIES, MOTION_MODULES, dptHeadTemporal } from '../../../../src/model/depth/dpt-head.ts';
import { depthCacheShapes } from '../../../../src/model/depth/graph.ts';
import { ATTENTION_BLOCKS } from '../../../../src/model/depth/motion-module.ts';
import { depthWeightShapes } from '../../../../src/model/depth/weight-shapes.ts';
import { Graph, type Value } from '../../../../src/model/onnx/graph.ts';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import {  } from '../../../../src/model/weights/reader.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { f32, type F32Tensor, type Tensor } from '../../../../src/model/tensor.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';

const cfg: DepthConfig = {
  embedDim: 8,
  numHeads: 2,
  depth: 4,
  layers: [0, 1, 2, 3],
  patchSize: 14,
  posGrid: 2,
  interpolateOffset: 0.1,
  features: 8,
  outChannels: [4, 4, 8, 8],
  motionHeads: 2,
  motionGroups: 2,
  temporalMaxLen: 8,
  inputSize: 28,
};
const [ph, pw] = [2, 3];
const E = cfg.embedDim;
const random = randomWeights(depthWeightShapes(cfg), 31);

/** Motion modules whose residual branches are zero (to_out, ff.net.2, proj_out): each is the identity. */
const identityMotion: WeightReader = {
  ...random,
  getF32: (k) => (/^head\.motion_modules\.\d+\.temporal_transformer\.(proj_out|transformer_blocks\.0\.(attention_blocks\.\d+\.to_out\.0|ff\.net\.2))\./.test(k) ? f32(random.shape(k)) : random.getF32(k)),
};

function randn(shape: number[], seed: number): F32Tensor {
  return f32(shape, new Xoshiro128(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))));
}

interface Variant {
  cache?: F32Tensor[];
  valid?: boolean;
}

async function run(tokens: F32Tensor[], weights: WeightReader = random, v: Variant = {}): Promise<Record<string, Tensor>> {
  const T = tokens[0]!.shape[0]!;
  const g = new Graph('dpt');
  const feeds: Record<string, Tensor> = {};
  const inputs = tokens.map((t, i) => {
    feeds[`tokens${i}`] = t;
    return g.input(`tokens${i}`, 'float32', t.shape);
  });
  let cache: Value[] | undefined;
  let cacheValid: Value | undefined;
  if (v.cache) {
    cache = v.cache.map((c, i) => {
      feeds[`cache${i}`] = c;
      return g.input(`cache${i}`, 'float32', c.shape);
    });
    cacheValid = g.input('valid', 'bool', [1]);
    feeds.valid = { dtype: 'bool', shape: [1], data: Uint8Array.of(v.valid ? 1 : 0) };
  }
  const head = dptHeadTemporal(inputs, ph, pw, cfg, paramSource(g, weights), cache, cacheValid);
  expect(head.depth.shape).toEqual([T, 1, ph * cfg.patchSize, pw * cfg.patchSize]);
  expect(head.cache).toHaveLength(CACHE_ENTRIES);
  g.output(head.depth, 'depth');
  head.cache.forEach((c, i) => g.output(c, `cache_out${i}`));
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

const tokensFor = (T: number, seed: number) => [0, 1, 2, 3].map((i) => randn([T, ph * pw, E], seed * 10 + i));
/** Frame t of each level. */
const frameTokens = (tokens: F32Tensor[], t: number) => tokens.map((x) => f32([1, ph * pw, E], x.data.subarray(t * ph * pw * E, (t + 1) * ph * pw * E)));

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('dptHeadTemporal', () => {
  it('gives a finite, non-negative depth map at 14·patch size and the announced cache shapes in cache order', async () => {
    expect(CACHE_ENTRIES).toBe(MOTION_MODULES * ATTENTION_BLOCKS);
    const out = await run(tokensFor(2, 1));
    const d = out.depth!.data as Float32Array;
    expect(out.depth!.shape).toEqual([2, 1, 28, 42]);
    expect(d.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(d.some((v) => v > 0)).toBe(true);
    const want = depthCacheShapes(cfg, ph * cfg.patchSize, pw * cfg.patchSize);
    expect(Array.from({ length: CACHE_ENTRIES }, (_, i) => out[`cache_out${i}`]!.shape)).toEqual(want);
  });

  it('frames interact only through the motion modules: with those zeroed to identities a clip equals its frames run alone', async () => {
    const tokens = tokensFor(2, 2);
    const clip = (await run(tokens, identityMotion)).depth!.data as Float32Array;
    const n = clip.length / 2;
    for (let t = 0; t < 2; t++) {
      const alone = (await run(frameTokens(tokens, t), identityMotion)).depth!.data as Float32Array;
      expect(maxDiff(clip.subarray(t * n, (t + 1) * n), alone), `frame ${t}`).toBeLessThan(1e-5);
    }
    // With the real motion modules, the other frame changes this one.
    const coupled = (await run(tokens)).depth!.data as Float32Array;
    const alone0 = (await run(frameTokens(tokens, 0))).depth!.data as Float32Array;
    expect(maxDiff(coupled.subarray(0, n), alone0)).toBeGreaterThan(1e-4);
  });

  it('mirrors with its input: tokens with their grid columns reversed and every kernel mirrored give the mirrored depth map', async () => {
    // Every spatial op is left-right symmetric at this width (pad-1 3×3 convs, the stride-2 conv on
    // 3 columns, the stride-4/2 transposed convs, align-corners resizes); the motion modules act per
    // position. A token-layout mistake (rows for columns, tokens read as channels) breaks this.
    const mirror = (t: F32Tensor): F32Tensor => {
      if (t.shape.length !== 4) return t;
      const kw = t.shape[3]!;
      return f32(t.shape, t.data.map((_, i) => t.data[i - (i % kw) + kw - 1 - (i % kw)]!));
    };
    const mirrored: WeightReader = { ...random, getF32: (k) => mirror(random.getF32(k)) };
    const tokens = tokensFor(2, 5);
    const flipped = tokens.map((x) => {
      const out = f32(x.shape);
      for (let t = 0; t < 2; t++) for (let r = 0; r < ph; r++) for (let c = 0; c < pw; c++) out.data.set(x.data.subarray(((t * ph + r) * pw + c) * E, ((t * ph + r) * pw + c + 1) * E), ((t * ph + r) * pw + pw - 1 - c) * E);
      return out;
    });
    const a = (await run(tokens)).depth! as F32Tensor;
    const b = (await run(flipped, mirrored)).depth! as F32Tensor;
    const W = a.shape[3]!;
    expect(maxDiff(mirror(f32([a.data.length / W, 1, 1, W], a.data)).data, b.data)).toBeLessThan(1e-5);
    // Not trivially symmetric: the map itself is not a mirror image.
    expect(maxDiff(mirror(f32([a.data.length / W, 1, 1, W], a.data)).data, a.data)).toBeGreaterThan(1e-4);
  });

  it('cache_valid = false reproduces the cache-less head; true attends to the cache', async () => {
    const tokens = tokensFor(1, 3);
    const cache = depthCacheShapes(cfg, ph * cfg.patchSize, pw * cfg.patchSize).map((s, i) => randn(s, 100 + i));
    const plain = await run(tokens);
    const ignored = await run(tokens, random, { cache, valid: false });
    const used = await run(tokens, random, { cache, valid: true });
    expect(maxDiff(ignored.depth!.data as Float32Array, plain.depth!.data as Float32Array)).toBeLessThan(1e-5);
    expect(maxDiff(used.depth!.data as Float32Array, plain.depth!.data as Float32Array)).toBeGreaterThan(1e-5);
    // The first motion module's first cache output is its own normed input, whatever the cache.
    expect(maxDiff(used.cache_out0!.data as Float32Array, plain.cache_out0!.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('cache entry 2m + k feeds attention block k of motion module m', async () => {
    // With every module's second attention block silenced (to_out zero), only the even entries matter.
    const silent: WeightReader = { ...random, getF32: (k) => (/attention_blocks\.1\.to_out\.0\./.test(k) ? f32(random.shape(k)) : random.getF32(k)) };
    const tokens = tokensFor(1, 4);
    const shapes = depthCacheShapes(cfg, ph * cfg.patchSize, pw * cfg.patchSize);
    const cache = shapes.map((s, i) => randn(s, 200 + i));
    const base = (await run(tokens, silent, { cache, valid: true })).depth!.data as Float32Array;
    for (let i = 0; i < CACHE_ENTRIES; i++) {
      const changed = cache.map((c, j) => (j === i ? randn(shapes[j]!, 300 + j) : c));
      const d = maxDiff((await run(tokens, silent, { cache: changed, valid: true })).depth!.data as Float32Array, base);
      if (i % 2 === 1) expect(d, `entry ${i} (block 1 of module ${(i - 1) / 2})`).toBe(0);
      else expect(d, `entry ${i} (block 0 of module ${i / 2})`).toBeGreaterThan(1e-6);
    }
  });

  it('a level whose token count does not match the patch grid fails naming the level', () => {
    const g = new Graph('bad');
    const tokens = [0, 1, 2, 3].map((i) => g.input(`t${i}`, 'float32', [1, i === 2 ? ph * pw + 1 : ph * pw, E]));
    expect(() => dptHeadTemporal(tokens, ph, pw, cfg, paramSource(g, random))).toThrow(`dpt head: level 2 has ${ph * pw + 1} tokens, expected ${ph}×${pw}`);
  });
});
