/**
 * The DINOv2 backbone (src/model/depth/vit.ts) at a tiny size against a plain-JS float64
 * evaluation: stride-p patch embedding in raster order, class token, the given position table,
 * pre-norm blocks (scaled qkv attention, exact-erf GELU MLP) with LayerScale, and each tapped
 * layer through the final norm, split into class and patch tokens.
 */
import { describe, expect, it } from 'vitest';
import type { DepthConfig } from '../../../../src/model/depth/config.ts';
import { dinov2Features } from '../../../../src/model/depth/vit.ts';
import { depthWeightShapes } from '../../../../src/model/depth/weight-shapes.ts';
import { Graph } from '../../../../src/model/onnx/graph.ts';
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
  depth: 3,
  layers: [0, 2],
  patchSize: 2,
  posGrid: 2,
  interpolateOffset: 0.1,
  features: 8,
  outChannels: [4, 4, 8, 8],
  motionHeads: 2,
  motionGroups: 2,
  temporalMaxLen: 8,
  inputSize: 4,
};
const E = cfg.embedDim;
const [B, h, w] = [2, 4, 6];
const [ph, pw] = [h / cfg.patchSize, w / cfg.patchSize];
const N = ph * pw;

const random = randomWeights(depthWeightShapes(cfg), 17);
// LayerScale gammas of unit size so that every block visibly changes the tokens.
const weights: WeightReader = { ...random, getF32: (k) => (k.endsWith('.gamma') ? f32(random.shape(k), random.getF32(k).data.map((v) => 1 + v)) : random.getF32(k)) };
const wt = (k: string) => weights.getF32(k).data;

function randn(shape: number[], seed: number): F32Tensor {
  return f32(shape, new Xoshiro128(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))));
}

async function run(image: F32Tensor, pos: F32Tensor, c: DepthConfig = cfg): Promise<Record<string, Tensor>> {
  const g = new Graph('dinov2');
  const feats = dinov2Features(g.input('image', 'float32', [B, 3, h, w]), g.input('pos', 'float32', [1, 1 + N, E]), c, paramSource(g, weights));
  expect(feats.patch).toHaveLength(c.layers.length);
  feats.patch.forEach((v, i) => {
    expect(v.shape).toEqual([B, N, E]);
    g.output(v, `patch${i}`);
  });
  feats.cls.forEach((v, i) => {
    expect(v.shape).toEqual([B, E]);
    g.output(v, `cls${i}`);
  });
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  try {
    return await s.run({ image, pos });
  } finally {
    await s.release();
  }
}

// ---- plain-JS reference (float64) ----

type M = number[][];
/** erf to ~1e-10 (Taylor series near 0, continued-fraction complement further out). */
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
const lin = (x: M, prefix: string): M => {
  const W = weights.getF32(`${prefix}.weight`);
  const bias = wt(`${prefix}.bias`);
  const [out, inn] = W.shape as [number, number];
  return x.map((r) => Array.from({ length: out }, (_, o) => r.reduce((a, v, k) => a + v * W.data[o * inn + k]!, bias[o]!)));
};
const ln = (x: M, prefix: string): M =>
  x.map((r) => {
    const mean = r.reduce((a, b) => a + b, 0) / E;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / E;
    return r.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-6)) * wt(`${prefix}.weight`)[j]! + wt(`${prefix}.bias`)[j]!);
  });

function reference(image: F32Tensor, pos: F32Tensor, b: number): { patch: M[]; cls: M[] } {
  const p = cfg.patchSize;
  const pw_ = wt('pretrained.patch_embed.proj.weight'); // [E, 3, p, p]
  const pb = wt('pretrained.patch_embed.proj.bias');
  const px = (c: number, y: number, x: number) => image.data[((b * 3 + c) * h + y) * w + x]!;
  const tokens: M = [];
  for (let py = 0; py < ph; py++)
    for (let qx = 0; qx < pw; qx++)
      tokens.push(
        Array.from({ length: E }, (_, e) => {
          let acc = pb[e]!;
          for (let c = 0; c < 3; c++) for (let ky = 0; ky < p; ky++) for (let kx = 0; kx < p; kx++) acc += px(c, py * p + ky, qx * p + kx) * pw_[((e * 3 + c) * p + ky) * p + kx]!;
          return acc;
        }),
      );
  let x: M = [Array.from(wt('pretrained.cls_token')), ...tokens].map((r, t) => r.map((v, e) => v + pos.data[t * E + e]!));
  const patch: M[] = [];
  const cls: M[] = [];
  const H = cfg.numHeads;
  const d = E / H;
  for (let i = 0; i < cfg.depth; i++) {
    const pre = `pretrained.blocks.${i}`;
    const qkv = lin(ln(x, `${pre}.norm1`), `${pre}.attn.qkv`); // features (3, H, d)
    const att: M = x.map(() => new Array<number>(E).fill(0));
    for (let hh = 0; hh < H; hh++)
      for (let t = 0; t < x.length; t++) {
        const logits = x.map((_, j) => {
          let s = 0;
          for (let c = 0; c < d; c++) s += qkv[t]![hh * d + c]! * qkv[j]![E + hh * d + c]!;
          return s / Math.sqrt(d);
        });
        const m = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - m));
        const z = e.reduce((a, v) => a + v, 0);
        for (let j = 0; j < x.length; j++) for (let c = 0; c < d; c++) att[t]![hh * d + c]! += (e[j]! / z) * qkv[j]![2 * E + hh * d + c]!;
      }
    const a = lin(att, `${pre}.attn.proj`);
    x = x.map((r, t) => r.map((v, e) => v + a[t]![e]! * wt(`${pre}.ls1.gamma`)[e]!));
    const mlp = lin(lin(ln(x, `${pre}.norm2`), `${pre}.mlp.fc1`).map((r) => r.map(gelu)), `${pre}.mlp.fc2`);
    x = x.map((r, t) => r.map((v, e) => v + mlp[t]![e]! * wt(`${pre}.ls2.gamma`)[e]!));
    if (cfg.layers.includes(i)) {
      const normed = ln(x, 'pretrained.norm');
      cls.push([normed[0]!]);
      patch.push(normed.slice(1));
    }
  }
  return { patch, cls };
}

function maxDiff(t: Tensor, b: number, want: M): number {
  const rowsPer = want.length;
  const d = t.data as Float32Array;
  let m = 0;
  want.forEach((r, i) => r.forEach((v, e) => (m = Math.max(m, Math.abs(d[(b * rowsPer + i) * E + e]! - v)))));
  return m;
}

describe('dinov2Features', () => {
  it('matches the JS reference at every tapped layer, class and patch tokens, for each image of the batch', async () => {
    const image = randn([B, 3, h, w], 1);
    const pos = randn([1, 1 + N, E], 2);
    const out = await run(image, pos);
    for (let b = 0; b < B; b++) {
      const ref = reference(image, pos, b);
      cfg.layers.forEach((_, i) => {
        expect(maxDiff(out[`patch${i}`]!, b, ref.patch[i]!), `patch tokens, tap ${i}, image ${b}`).toBeLessThan(1e-4);
        expect(maxDiff(out[`cls${i}`]!, b, ref.cls[i]!), `class token, tap ${i}, image ${b}`).toBeLessThan(1e-4);
      });
    }
    // The taps differ (each is its own layer, not the last one repeated).
    expect(Array.from(out.patch0!.data as Float32Array)).not.toEqual(Array.from(out.patch1!.data as Float32Array));
  });

  it('patch tokens follow the image’s patches in raster order: swapping two patches and their position rows swaps those outputs', async () => {
    const image = randn([B, 3, h, w], 3);
    const pos = randn([1, 1 + N, E], 4);
    const [pa, pb] = [0, N - 1]; // patch (0, 0) and patch (ph − 1, pw − 1)
    const p = cfg.patchSize;
    const swapped = f32(image.shape, image.data.slice());
    const origin = (k: number) => [Math.floor(k / pw) * p, (k % pw) * p] as const;
    for (let b = 0; b < B; b++)
      for (let c = 0; c < 3; c++)
        for (let ky = 0; ky < p; ky++)
          for (let kx = 0; kx < p; kx++) {
            const [ya, xa] = origin(pa);
            const [yb, xb] = origin(pb);
            const ia = ((b * 3 + c) * h + ya + ky) * w + xa + kx;
            const ib = ((b * 3 + c) * h + yb + ky) * w + xb + kx;
            [swapped.data[ia], swapped.data[ib]] = [image.data[ib]!, image.data[ia]!];
          }
    const swappedPos = f32(pos.shape, pos.data.slice());
    swappedPos.data.set(pos.data.subarray((1 + pa) * E, (2 + pa) * E), (1 + pb) * E);
    swappedPos.data.set(pos.data.subarray((1 + pb) * E, (2 + pb) * E), (1 + pa) * E);
    const a = await run(image, pos);
    const s = await run(swapped, swappedPos);
    const row = (t: Tensor, b: number, k: number) => Array.from((t.data as Float32Array).subarray((b * N + k) * E, (b * N + k + 1) * E));
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < N; k++) {
        const from = k === pa ? pb : k === pb ? pa : k;
        row(s.patch1!, b, k).forEach((v, e) => expect(Math.abs(v - row(a.patch1!, b, from)[e]!)).toBeLessThan(1e-5));
      }
    }
    (s.cls1!.data as Float32Array).forEach((v, i) => expect(Math.abs(v - (a.cls1!.data as Float32Array)[i]!)).toBeLessThan(1e-5));
    expect(row(s.patch1!, 0, pa)).not.toEqual(row(a.patch1!, 0, pa));
  });

  it('taps must lie below the depth', () => {
    const g = new Graph('bad');
    expect(() => dinov2Features(g.input('image', 'float32', [1, 3, h, w]), g.input('pos', 'float32', [1, 1 + N, E]), { ...cfg, layers: [1, 3] }, paramSource(g, weights))).toThrow(
      'depth config: intermediate layers [1, 3] are not all below depth 3',
    );
  });
});
