/**
 * The scribble ContourInference graph (src/model/scribble/graph.ts) at tiny widths against a
 * plain-JS float64 evaluation of the network: reflection padding, convolutions with stride and
 * zero padding, affine-free InstanceNorm (eps 1e-5), residual blocks, stride-2 transposed convs
 * with output padding, the final sigmoid; output size 4⌈H/4⌉ × 4⌈W/4⌉; countResidualBlocks.
 */
import { describe, expect, it } from 'vitest';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import {  } from '../../../../src/model/weights/reader.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { buildScribbleGraph, countResidualBlocks } from '../../../../src/model/scribble/graph.ts';
import { scribbleWeightShapes } from '../../../../src/model/scribble/weight-shapes.ts';
import { f32, type F32Tensor, type Tensor } from '../../../../src/model/tensor.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';

const WIDTHS = [2, 3, 4] as const;

/** A plane stack [C][H][W] of one frame. */
type Img = { c: number; h: number; w: number; d: Float64Array };
const at = (x: Img, c: number, y: number, i: number) => x.d[(c * x.h + y) * x.w + i]!;

function reflectPad(x: Img, n: number): Img {
  const h = x.h + 2 * n;
  const w = x.w + 2 * n;
  const r = (i: number, len: number) => (i < 0 ? -i : i >= len ? 2 * (len - 1) - i : i);
  const d = new Float64Array(x.c * h * w);
  for (let c = 0; c < x.c; c++) for (let y = 0; y < h; y++) for (let i = 0; i < w; i++) d[(c * h + y) * w + i] = at(x, c, r(y - n, x.h), r(i - n, x.w));
  return { c: x.c, h, w, d };
}

/** Conv2d, weight [O, C, k, k], zero padding `pad`, stride `s`. */
function conv2d(x: Img, wt: F32Tensor, bias: Float32Array, s = 1, pad = 0): Img {
  const [O, C, k] = wt.shape as [number, number, number];
  const h = Math.floor((x.h + 2 * pad - k) / s) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / s) + 1;
  const d = new Float64Array(O * h * w);
  for (let o = 0; o < O; o++)
    for (let y = 0; y < h; y++)
      for (let i = 0; i < w; i++) {
        let acc = bias[o]!;
        for (let c = 0; c < C; c++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const yy = y * s - pad + ky;
              const xx = i * s - pad + kx;
              if (yy >= 0 && yy < x.h && xx >= 0 && xx < x.w) acc += at(x, c, yy, xx) * wt.data[((o * C + c) * k + ky) * k + kx]!;
            }
        d[(o * h + y) * w + i] = acc;
      }
  return { c: O, h, w, d };
}

/** ConvTranspose2d, weight [C, O, 3, 3], stride 2, padding 1, output padding 1 (output = 2× input). */
function convT2d(x: Img, wt: F32Tensor, bias: Float32Array): Img {
  const [C, O, k] = wt.shape as [number, number, number];
  const h = (x.h - 1) * 2 - 2 + k + 1;
  const w = (x.w - 1) * 2 - 2 + k + 1;
  const d = new Float64Array(O * h * w);
  for (let o = 0; o < O; o++) for (let p = 0; p < h * w; p++) d[o * h * w + p] = bias[o]!;
  for (let c = 0; c < C; c++)
    for (let iy = 0; iy < x.h; iy++)
      for (let ix = 0; ix < x.w; ix++)
        for (let o = 0; o < O; o++)
          for (let ky = 0; ky < k; ky++)
            for (let kx = 0; kx < k; kx++) {
              const y = iy * 2 - 1 + ky;
              const xx = ix * 2 - 1 + kx;
              if (y >= 0 && y < h && xx >= 0 && xx < w) d[(o * h + y) * w + xx]! += at(x, c, iy, ix) * wt.data[((c * O + o) * k + ky) * k + kx]!;
            }
  return { c: O, h, w, d };
}

function instanceNorm(x: Img): Img {
  const n = x.h * x.w;
  const d = new Float64Array(x.d.length);
  for (let c = 0; c < x.c; c++) {
    const plane = x.d.subarray(c * n, (c + 1) * n);
    const mean = plane.reduce((a, b) => a + b, 0) / n;
    const variance = plane.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    for (let p = 0; p < n; p++) d[c * n + p] = (plane[p]! - mean) / Math.sqrt(variance + 1e-5);
  }
  return { ...x, d };
}
const map = (x: Img, f: (v: number) => number): Img => ({ ...x, d: x.d.map(f) });
const relu = (x: Img) => map(x, (v) => Math.max(0, v));
const inRelu = (x: Img) => relu(instanceNorm(x));

function reference(frame: Img, wr: WeightReader, blocks: number): { model1: Img; model2: Img; contour: Img } {
  const W = (k: string) => wr.getF32(`${k}.weight`);
  const b = (k: string) => wr.getF32(`${k}.bias`).data;
  const cv = (x: Img, k: string, s = 1, pad = 0) => conv2d(x, W(k), b(k), s, pad);
  let x = inRelu(cv(reflectPad(frame, 3), 'model0.1'));
  x = inRelu(cv(x, 'model1.0', 2, 1));
  x = inRelu(cv(x, 'model1.3', 2, 1));
  const model1 = x;
  for (let k = 0; k < blocks; k++) {
    const a = inRelu(cv(reflectPad(x, 1), `model2.${k}.conv_block.1`));
    const y = instanceNorm(cv(reflectPad(a, 1), `model2.${k}.conv_block.5`));
    x = { ...x, d: x.d.map((v, i) => v + y.d[i]!) };
  }
  const model2 = x;
  x = inRelu(convT2d(x, W('model3.0'), b('model3.0')));
  x = inRelu(convT2d(x, W('model3.3'), b('model3.3')));
  const contour = map(cv(reflectPad(x, 3), 'model4.1'), (v) => 1 / (1 + Math.exp(-v)));
  return { model1, model2, contour };
}

function image(T: number, H: number, W: number, seed: number): F32Tensor {
  const rng = new Xoshiro128(seed);
  return f32([T, 3, H, W], Float32Array.from({ length: T * 3 * H * W }, () => rng.nextUnit()));
}

const frameOf = (t: F32Tensor, i: number): Img => {
  const [, c, h, w] = t.shape as [number, number, number, number];
  return { c, h, w, d: Float64Array.from(t.data.subarray(i * c * h * w, (i + 1) * c * h * w)) };
};

function maxDiff(got: Tensor, t: number, want: Img): number {
  const [, c, h, w] = got.shape as [number, number, number, number];
  expect([c, h, w]).toEqual([want.c, want.h, want.w]);
  const d = (got.data as Float32Array).subarray(t * c * h * w, (t + 1) * c * h * w);
  let m = 0;
  for (let i = 0; i < d.length; i++) m = Math.max(m, Math.abs(d[i]! - want.d[i]!));
  return m;
}

async function run(blocks: number, T: number, H: number, W: number, weights: WeightReader, img: F32Tensor, debug = true): Promise<Record<string, Tensor>> {
  const g = buildScribbleGraph({ residualBlocks: blocks }, T, H, W, (gr) => paramSource(gr, weights), { debug });
  expect(g.name).toBe(`contour_inference_${T}x${H}x${W}`);
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  try {
    return await s.run({ image: img });
  } finally {
    await s.release();
  }
}

describe('buildScribbleGraph', () => {
  it('matches the JS reference per frame (model1, model2 and the contour), sides not multiples of 4', async () => {
    const blocks = 2;
    const weights = randomWeights(scribbleWeightShapes({ widths: WIDTHS, residualBlocks: blocks }), 3);
    const [T, H, W] = [2, 6, 10];
    const img = image(T, H, W, 1);
    const out = await run(blocks, T, H, W, weights, img);
    expect(out.contour!.shape).toEqual([T, 1, 8, 12]); // 4⌈6/4⌉ × 4⌈10/4⌉
    expect(out.model1!.shape).toEqual([T, WIDTHS[2], 2, 3]);
    expect(out.model2!.shape).toEqual([T, WIDTHS[2], 2, 3]);
    for (let t = 0; t < T; t++) {
      const ref = reference(frameOf(img, t), weights, blocks);
      expect(maxDiff(out.model1!, t, ref.model1), `model1 frame ${t}`).toBeLessThan(1e-4);
      expect(maxDiff(out.model2!, t, ref.model2), `model2 frame ${t}`).toBeLessThan(1e-4);
      expect(maxDiff(out.contour!, t, ref.contour), `contour frame ${t}`).toBeLessThan(1e-5);
    }
    const c = out.contour!.data as Float32Array;
    expect(c.every((v) => v > 0 && v < 1)).toBe(true);
  });

  it('sides that are multiples of 4 come out at the input size; no residual blocks makes model2 = model1', async () => {
    const weights = randomWeights(scribbleWeightShapes({ widths: WIDTHS, residualBlocks: 0 }), 4);
    const img = image(1, 8, 12, 2);
    const out = await run(0, 1, 8, 12, weights, img);
    expect(out.contour!.shape).toEqual([1, 1, 8, 12]);
    expect(Array.from(out.model2!.data as Float32Array)).toEqual(Array.from(out.model1!.data as Float32Array));
    expect(maxDiff(out.contour!, 0, reference(frameOf(img, 0), weights, 0).contour)).toBeLessThan(1e-5);
  });

  it('without debug only the contour is an output', async () => {
    const weights = randomWeights(scribbleWeightShapes({ widths: WIDTHS, residualBlocks: 1 }), 5);
    const out = await run(1, 1, 8, 8, weights, image(1, 8, 8, 3), false);
    expect(Object.keys(out)).toEqual(['contour']);
  });
});

describe('countResidualBlocks', () => {
  it('counts model2.k blocks from 0 up to the first missing index', () => {
    const keys = (n: number) => new Set(scribbleWeightShapes({ widths: WIDTHS, residualBlocks: n }).keys());
    for (const n of [0, 1, 3]) expect(countResidualBlocks((k) => keys(n).has(k))).toBe(n);
    const gap = new Set(['model2.0.conv_block.1.weight', 'model2.2.conv_block.1.weight']);
    expect(countResidualBlocks((k) => gap.has(k))).toBe(1);
  });
});
