/**
 * One Wan2.1 attention block (src/model/wan/block.ts) at a tiny size, run in ORT and compared
 * with a plain-JS float64 evaluation of the block's equations: adaLN modulation per frame, qk
 * RMSNorm, interleaved-pair RoPE, self-attention (alone, over a KV cache with a fresh-from cut,
 * and with appended zero keys), normed cross-attention to the text, the gated tanh-GELU FFN; and
 * the returned k (roped) / v (raw) the KV cache stores.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../../../src/model/onnx/graph.ts';
import { FUSED_KERNELS, PLAIN_KERNELS, type KernelSet } from '../../../../src/model/onnx/kernels.ts';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import {  } from '../../../../src/model/weights/reader.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { f32, i64, type F32Tensor, type Tensor } from '../../../../src/model/tensor.ts';
import { applyRope, attentionBlock, type BlockContext, type BlockOptions } from '../../../../src/model/wan/block.ts';
import { parseWanConfig, type TokenGrid, type WanConfig } from '../../../../src/model/wan/config.ts';
import { wanBaseParams } from '../../../../src/model/wan/param-spec.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';

const cfg: WanConfig = parseWanConfig({
  patch_size: [1, 1, 1],
  text_len: 3,
  in_dim: 4,
  dim: 8,
  ffn_dim: 12,
  freq_dim: 8,
  text_dim: 8,
  out_dim: 4,
  num_heads: 2,
  num_layers: 1,
});
const grid: TokenGrid = { frames: 2, height: 1, width: 2 };
const L = grid.frames * grid.height * grid.width;
const D = cfg.dim;
const H = cfg.num_heads;
const C = D / H / 2; // complex pairs per head
const P = 3; // cached tokens

const randn = (n: number, seed: number, scale = 1) => new Xoshiro128(seed, 99).fillNormal(new Float32Array(n)).map((v) => v * scale);
const weights = randomWeights(wanBaseParams(cfg), 5);

interface Inputs {
  x: Float32Array;
  e0: Float32Array;
  ctx: Float32Array;
  cos: Float32Array;
  sin: Float32Array;
  cacheK: Float32Array;
  cacheV: Float32Array;
}

function inputs(seed: number): Inputs {
  const angles = randn(L * C, seed + 4, 3);
  return {
    x: randn(L * D, seed),
    e0: randn(grid.frames * 6 * D, seed + 1, 0.5),
    ctx: randn(cfg.text_len * D, seed + 2),
    cos: angles.map(Math.cos),
    sin: angles.map(Math.sin),
    cacheK: randn(P * D, seed + 5),
    cacheV: randn(P * D, seed + 6),
  };
}

interface Variant {
  cache?: boolean;
  freshFrom?: number;
  zeroKeys?: number;
}

async function runBlock(kernels: KernelSet, inp: Inputs, v: Variant = {}, reader: WeightReader = weights): Promise<Record<string, Tensor>> {
  const g = new Graph('wan_block', { kernels });
  const x = g.input('x', 'float32', [L, D]);
  const b: BlockContext = {
    cfg,
    grid,
    e0: g.input('e0', 'float32', [grid.frames, 6, D]),
    ctx: g.input('ctx', 'float32', [cfg.text_len, D]),
    ropeCos: g.input('cos', 'float32', [L, 1, C, 1]),
    ropeSin: g.input('sin', 'float32', [L, 1, C, 1]),
  };
  const opts: BlockOptions = { zeroKeys: v.zeroKeys };
  const feeds: Record<string, Tensor> = {
    x: f32([L, D], inp.x),
    e0: f32([grid.frames, 6, D], inp.e0),
    ctx: f32([cfg.text_len, D], inp.ctx),
    cos: f32([L, 1, C, 1], inp.cos),
    sin: f32([L, 1, C, 1], inp.sin),
  };
  if (v.cache) {
    opts.cacheK = g.input('cache_k', 'float32', [P, D]);
    opts.cacheV = g.input('cache_v', 'float32', [P, D]);
    opts.freshFrom = g.input('fresh_from', 'int64', [1]);
    feeds.cache_k = f32([P, D], inp.cacheK);
    feeds.cache_v = f32([P, D], inp.cacheV);
    feeds.fresh_from = i64([1], [v.freshFrom ?? 0]);
  }
  const r = attentionBlock(x, paramSource(g, reader), 'blocks.0', b, opts);
  expect(r.x.shape).toEqual([L, D]);
  g.output(r.x, 'out');
  g.output(r.k, 'k');
  g.output(r.v, 'v');
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

// ---- plain-JS reference (float64, row-major arrays) ----

type M = number[][];
const rows = (a: ArrayLike<number>, n: number, d: number): M => Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => a[i * d + j]!));
const w = (name: string) => weights.getF32(name);
const linear = (x: M, prefix: string): M => {
  const W = w(`${prefix}.weight`);
  const bias = w(`${prefix}.bias`).data;
  const [out, inn] = W.shape as [number, number];
  return x.map((r) => Array.from({ length: out }, (_, o) => r.reduce((acc, v, k) => acc + v * W.data[o * inn + k]!, bias[o]!)));
};
const layerNorm = (x: M, weight?: ArrayLike<number>, bias?: ArrayLike<number>): M =>
  x.map((r) => {
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const variance = r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length;
    return r.map((v, j) => ((v - mean) / Math.sqrt(variance + cfg.eps)) * (weight?.[j] ?? 1) + (bias?.[j] ?? 0));
  });
const rmsNorm = (x: M, weight: ArrayLike<number>): M =>
  x.map((r) => {
    const ms = r.reduce((a, b) => a + b * b, 0) / r.length;
    return r.map((v, j) => (v / Math.sqrt(ms + cfg.eps)) * weight[j]!);
  });
const frameOf = (t: number) => Math.floor(t / (grid.height * grid.width));
/** mod[f][i] = modulation[i] + e0[f][i], i = 0…5 (shift, scale, gate, shift, scale, gate). */
const modulation = (e0: Float32Array, i: number, f: number) => Array.from({ length: D }, (_, d) => w('blocks.0.modulation').data[i * D + d]! + e0[(f * 6 + i) * D + d]!);
const modulate = (x: M, e0: Float32Array, shift: number, scale: number): M =>
  x.map((r, t) => {
    const sh = modulation(e0, shift, frameOf(t));
    const sc = modulation(e0, scale, frameOf(t));
    return r.map((v, d) => v * (1 + sc[d]!) + sh[d]!);
  });
const rope = (x: M, cos: Float32Array, sin: Float32Array): M =>
  x.map((r, t) => {
    const out = [...r];
    for (let h = 0; h < H; h++)
      for (let m = 0; m < C; m++) {
        const i = h * 2 * C + 2 * m;
        const [re, im] = [r[i]!, r[i + 1]!];
        const [c, s] = [cos[t * C + m]!, sin[t * C + m]!];
        out[i] = re * c - im * s;
        out[i + 1] = re * s + im * c;
      }
    return out;
  });
/** Multi-head attention, 1/√d scale; `zeroKeys` extra keys with logit 0 and value 0. */
const attention = (q: M, k: M, v: M, zeroKeys = 0): M => {
  const d = D / H;
  return q.map((qr) => {
    const out = new Array<number>(D).fill(0);
    for (let h = 0; h < H; h++) {
      const logits = k.map((kr) => {
        let s = 0;
        for (let j = 0; j < d; j++) s += qr[h * d + j]! * kr[h * d + j]!;
        return s / Math.sqrt(d);
      });
      const all = [...logits, ...new Array<number>(zeroKeys).fill(0)];
      const m = Math.max(...all);
      const e = all.map((l) => Math.exp(l - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < k.length; j++) for (let c = 0; c < d; c++) out[h * d + c]! += (e[j]! / z) * v[j]![h * d + c]!;
    }
    return out;
  });
};
const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
const addGated = (x: M, y: M, e0: Float32Array, gate: number): M => x.map((r, t) => r.map((v, d) => v + y[t]![d]! * modulation(e0, gate, frameOf(t))[d]!));

function reference(inp: Inputs, v: Variant = {}): { out: M; k: M; v: M } {
  const x = rows(inp.x, L, D);
  const ctx = rows(inp.ctx, cfg.text_len, D);
  const p = 'blocks.0';
  const h = modulate(layerNorm(x), inp.e0, 0, 1);
  const q = rope(rmsNorm(linear(h, `${p}.self_attn.q`), w(`${p}.self_attn.norm_q.weight`).data), inp.cos, inp.sin);
  const k = rope(rmsNorm(linear(h, `${p}.self_attn.k`), w(`${p}.self_attn.norm_k.weight`).data), inp.cos, inp.sin);
  const val = linear(h, `${p}.self_attn.v`);
  const fresh = v.freshFrom ?? 0;
  const kAll = v.cache ? [...rows(inp.cacheK, P, D), ...k.slice(fresh)] : k;
  const vAll = v.cache ? [...rows(inp.cacheV, P, D), ...val.slice(fresh)] : val;
  let out = addGated(x, linear(attention(q, kAll, vAll, v.zeroKeys), `${p}.self_attn.o`), inp.e0, 2);
  const hc = layerNorm(out, w(`${p}.norm3.weight`).data, w(`${p}.norm3.bias`).data);
  const cq = rmsNorm(linear(hc, `${p}.cross_attn.q`), w(`${p}.cross_attn.norm_q.weight`).data);
  const ck = rmsNorm(linear(ctx, `${p}.cross_attn.k`), w(`${p}.cross_attn.norm_k.weight`).data);
  const cv = linear(ctx, `${p}.cross_attn.v`);
  const ca = linear(attention(cq, ck, cv), `${p}.cross_attn.o`);
  out = out.map((r, t) => r.map((e, d) => e + ca[t]![d]!));
  const hf = modulate(layerNorm(out), inp.e0, 3, 4);
  const ff = linear(linear(hf, `${p}.ffn.0`).map((r) => r.map(geluTanh)), `${p}.ffn.2`);
  out = addGated(out, ff, inp.e0, 5);
  return { out, k, v: val };
}

function expectClose(got: Tensor, want: M, tol: number, what: string): void {
  expect(got.shape, what).toEqual([want.length, want[0]!.length]);
  const flat = want.flat();
  let worst = 0;
  flat.forEach((v, i) => (worst = Math.max(worst, Math.abs((got.data as Float32Array)[i]! - v))));
  expect(worst, `${what}: max |ORT − JS|`).toBeLessThan(tol);
}

// Every check runs with the plain ops and with the fused contrib ops (onnx/fused.ts).
const KERNEL_SETS: [string, KernelSet][] = [
  ['plain', PLAIN_KERNELS],
  ['fused', FUSED_KERNELS],
];

describe.each(KERNEL_SETS)('attentionBlock (%s kernels)', (_name, kernels) => {
  it('matches the JS reference: output, roped keys and raw values', async () => {
    const inp = inputs(1);
    const got = await runBlock(kernels, inp);
    const ref = reference(inp);
    expectClose(got.out!, ref.out, 1e-5, 'out');
    expectClose(got.k!, ref.k, 1e-5, 'k');
    expectClose(got.v!, ref.v, 1e-5, 'v');
    expect((got.out!.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('over a KV cache: attends to the cached keys then the current ones from fresh_from on', async () => {
    const inp = inputs(2);
    for (const freshFrom of [0, 2, L]) {
      const got = await runBlock(kernels, inp, { cache: true, freshFrom });
      expectClose(got.out!, reference(inp, { cache: true, freshFrom }).out, 1e-5, `fresh_from ${freshFrom}`);
    }
    // The cache really is attended: the result differs from the cache-less block.
    const plain = reference(inp).out.flat();
    const cached = (await runBlock(kernels, inp, { cache: true, freshFrom: 0 })).out!.data as Float32Array;
    expect(Math.max(...plain.map((v, i) => Math.abs(v - cached[i]!)))).toBeGreaterThan(1e-3);
  });

  it('zero keys only add exp(0 − max) terms to the self-attention softmax', async () => {
    const inp = inputs(3);
    const got = await runBlock(kernels, inp, { zeroKeys: 5 });
    expectClose(got.out!, reference(inp, { zeroKeys: 5 }).out, 1e-5, 'zeroKeys 5');
    const without = reference(inp).out.flat();
    expect(Math.max(...without.map((v, i) => Math.abs(v - (got.out!.data as Float32Array)[i]!)))).toBeGreaterThan(1e-4);
  });

  it('with zero output projections and zero FFN output, the block is the identity', async () => {
    const zeroed = new Set(['self_attn.o.weight', 'self_attn.o.bias', 'cross_attn.o.weight', 'cross_attn.o.bias', 'ffn.2.weight', 'ffn.2.bias'].map((k) => `blocks.0.${k}`));
    const reader: WeightReader = {
      ...weights,
      getF32: (k) => (zeroed.has(k) ? f32(weights.shape(k)) : weights.getF32(k)),
    };
    const inp = inputs(4);
    const got = await runBlock(kernels, inp, {}, reader);
    expect(Array.from(got.out!.data as Float32Array)).toEqual(Array.from(inp.x));
  });
});

describe.each(KERNEL_SETS)('applyRope (%s kernels)', (_name, kernels) => {
  async function rope(x: Float32Array, cos: Float32Array, sin: Float32Array): Promise<F32Tensor> {
    const g = new Graph('rope', { kernels });
    const xv = g.input('x', 'float32', [L, D]);
    const b = { cfg, grid, ropeCos: g.input('cos', 'float32', [L, 1, C, 1]), ropeSin: g.input('sin', 'float32', [L, 1, C, 1]) } as BlockContext;
    const out: Value = applyRope(xv, b);
    expect(out.shape).toEqual([L, D]);
    g.output(out, 'y');
    const s = await ModelSession.fromGraph(g, { threads: 1 });
    const r = (await s.run({ x: f32([L, D], x), cos: f32([L, 1, C, 1], cos), sin: f32([L, 1, C, 1], sin) })).y as F32Tensor;
    await s.release();
    return r;
  }

  it('rotates interleaved pairs (x[2m], x[2m+1]) of every head by the token’s angle', async () => {
    const inp = inputs(5);
    const got = await rope(inp.x, inp.cos, inp.sin);
    expectClose(got, ropeByAngle(inp), 1e-5, 'rope');
    function ropeByAngle(i: Inputs): M {
      return rows(i.x, L, D).map((r, t) => {
        const out = [...r];
        for (let h = 0; h < H; h++)
          for (let m = 0; m < C; m++) {
            const j = h * 2 * C + 2 * m;
            const angle = Math.atan2(i.sin[t * C + m]!, i.cos[t * C + m]!);
            out[j] = r[j]! * Math.cos(angle) - r[j + 1]! * Math.sin(angle);
            out[j + 1] = r[j]! * Math.sin(angle) + r[j + 1]! * Math.cos(angle);
          }
        return out;
      });
    }
  });

  it('angle 0 is the identity and a quarter turn maps (a, b) to (−b, a)', async () => {
    const x = Float32Array.from({ length: L * D }, (_, i) => i + 1);
    expect(Array.from((await rope(x, new Float32Array(L * C).fill(1), new Float32Array(L * C))).data)).toEqual(Array.from(x));
    const quarter = await rope(x, new Float32Array(L * C), new Float32Array(L * C).fill(1));
    for (let i = 0; i < L * D; i += 2) {
      expect(quarter.data[i]).toBe(-x[i + 1]!);
      expect(quarter.data[i + 1]).toBe(x[i]!);
    }
  });
});
