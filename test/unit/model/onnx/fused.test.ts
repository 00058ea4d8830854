/**
 * The fused contrib-op builders (src/model/onnx/fused.ts) against the plain-op compositions they
 * replace, on random inputs in ORT's CPU provider: the same sub-graph built with the plain and
 * the fused kernel set must agree. Covers self-attention, a KV window (cached keys before the
 * fresh ones, cut at fresh_from, empty cache included), cross-attention, appended zero keys,
 * UMT5's batched unscaled attention with a masked relative-position bias, RMSNorm with and without
 * a weight, and Wan's interleaved 3-D RoPE; plus the kernel-set choice per provider.
 */
import { describe, expect, it } from 'vitest';
import { Graph, type Value } from '../../../../src/model/onnx/graph.ts';
import { FUSED_KERNELS, PLAIN_KERNELS, kernelSet, parseKernelChoice, type KernelSet } from '../../../../src/model/onnx/kernels.ts';
import { attention, rmsNorm } from '../../../../src/model/onnx/nn.ts';
import { fusedAttention } from '../../../../src/model/onnx/fused.ts';
import { add, concat, equal, matmul, reshape, sliceFrom, softmax, transpose, where } from '../../../../src/model/onnx/ops.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { f32, i64, type Tensor } from '../../../../src/model/tensor.ts';
import { applyRope, type BlockContext } from '../../../../src/model/wan/block.ts';
import { parseWanConfig } from '../../../../src/model/wan/config.ts';

const randn = (n: number, seed: number, scale = 1) => new Xoshiro128(seed, 7).fillNormal(new Float32Array(n)).map((v) => v * scale);

type Build = (g: Graph) => Value;

/** Builds `build` into a graph with `kernels`, runs it on `feeds`, returns output y and the graph's op types. */
async function run(kernels: KernelSet, build: Build, feeds: Record<string, Tensor>): Promise<{ y: Float32Array; shape: number[]; ops: string[] }> {
  const g = new Graph('fused_vs_plain', { kernels });
  g.output(build(g), 'y');
  const ops = (g.toModelObject().graph as { node: { op_type: string }[] }).node.map((n) => n.op_type);
  const s = await ModelSession.fromGraph(g, { threads: 1 });
  try {
    const y = (await s.run(feeds)).y!;
    return { y: y.data as Float32Array, shape: [...y.shape], ops };
  } finally {
    await s.release();
  }
}

/** Runs `build` with both kernel sets and checks they agree within `tol`; returns both runs. */
async function expectSame(build: Build, feeds: Record<string, Tensor>, tol = 2e-6) {
  const plain = await run(PLAIN_KERNELS, build, feeds);
  const fused = await run(FUSED_KERNELS, build, feeds);
  expect(fused.shape).toEqual(plain.shape);
  let worst = 0;
  plain.y.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fused.y[i]!))));
  expect(worst, 'max |fused − plain|').toBeLessThan(tol);
  expect(plain.y.every(Number.isFinite)).toBe(true);
  return { plain, fused };
}

const H = 3;
const D = 12; // head dim 4
const L = 7;

describe('fused attention (com.microsoft.MultiHeadAttention) = plain attention', () => {
  it('self-attention on [L, dim] token matrices, and the graph really holds the fused op', async () => {
    const feeds = { q: f32([L, D], randn(L * D, 1)), k: f32([L, D], randn(L * D, 2)), v: f32([L, D], randn(L * D, 3)) };
    const { plain, fused } = await expectSame((g) => attention(g.input('q', 'float32', [L, D]), g.input('k', 'float32', [L, D]), g.input('v', 'float32', [L, D]), H), feeds);
    expect(fused.ops).toContain('MultiHeadAttention');
    expect(fused.ops).not.toContain('Softmax');
    expect(plain.ops).toContain('Softmax');
    expect(plain.ops).not.toContain('MultiHeadAttention');
  });

  it('over a KV window: cached keys (dynamic length, empty too) before the fresh ones cut at fresh_from', async () => {
    for (const P of [0, 5]) {
      for (const freshFrom of [0, 3, L]) {
        const feeds = {
          q: f32([L, D], randn(L * D, 10 + P)),
          k: f32([L, D], randn(L * D, 11 + P)),
          v: f32([L, D], randn(L * D, 12 + P)),
          cache_k: f32([P, D], randn(P * D, 13)),
          cache_v: f32([P, D], randn(P * D, 14)),
          fresh_from: i64([1], [freshFrom]),
        };
        if (P === 0 && freshFrom === L) continue; // no key at all: not a case the model builds
        await expectSame((g) => {
          const from = g.input('fresh_from', 'int64', [1]);
          const kAll = concat([g.input('cache_k', 'float32', ['P', D]), sliceFrom(g.input('k', 'float32', [L, D]), from, L, 0)], 0);
          const vAll = concat([g.input('cache_v', 'float32', ['P', D]), sliceFrom(g.input('v', 'float32', [L, D]), from, L, 0)], 0);
          return attention(g.input('q', 'float32', [L, D]), kAll, vAll, H);
        }, feeds);
      }
    }
  });

  it('cross-attention: fewer keys than queries', async () => {
    const T = 4;
    const feeds = { q: f32([L, D], randn(L * D, 20)), k: f32([T, D], randn(T * D, 21)), v: f32([T, D], randn(T * D, 22)) };
    await expectSame((g) => attention(g.input('q', 'float32', [L, D]), g.input('k', 'float32', [T, D]), g.input('v', 'float32', [T, D]), H), feeds);
  });

  it('zero keys (logit 0, value 0) as appended zero rows: few, and a full flex-attention pad', async () => {
    for (const zeroKeys of [5, 121]) {
      // Scaled up so that some logits sit far below 0 and the zero keys carry real weight.
      const feeds = { q: f32([L, D], randn(L * D, 30, 2)), k: f32([L, D], randn(L * D, 31, 2)), v: f32([L, D], randn(L * D, 32)) };
      const { plain } = await expectSame((g) => attention(g.input('q', 'float32', [L, D]), g.input('k', 'float32', [L, D]), g.input('v', 'float32', [L, D]), H, { zeroKeys }), feeds);
      const none = await run(PLAIN_KERNELS, (g) => attention(g.input('q', 'float32', [L, D]), g.input('k', 'float32', [L, D]), g.input('v', 'float32', [L, D]), H), feeds);
      expect(Math.max(...plain.y.map((v, i) => Math.abs(v - none.y[i]!)))).toBeGreaterThan(1e-3);
    }
  });

  it('UMT5 form: batched [B, L, dim], unscaled logits plus a per-batch bias whose masked keys are the float32 minimum', async () => {
    const B = 2;
    const mask = [...new Array<number>(L).fill(1), 1, 1, 1, 1, ...new Array<number>(L - 4).fill(0)]; // batch 1 has 4 real tokens
    const feeds = {
      q: f32([B, L, D], randn(B * L * D, 40)),
      k: f32([B, L, D], randn(B * L * D, 41)),
      v: f32([B, L, D], randn(B * L * D, 42)),
      pos: f32([1, H, L, L], randn(H * L * L, 43)),
      mask: i64([B, 1, 1, L], mask),
    };
    const biased = (g: Graph) => {
      const bias = where(equal(g.input('mask', 'int64', [B, 1, 1, L]), 0), g.constant(-3.4028234663852886e38), g.input('pos', 'float32', [1, H, L, L]));
      const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, 'float32', [B, L, D]));
      if (g.kernels.attention) return fusedAttention(q!, k!, v!, H, { scale: 1, bias });
      const heads = (t: Value, perm: number[]) => transpose(reshape(t, [0, 0, H, D / H]), perm);
      const probs = softmax(add(matmul(heads(q!, [0, 2, 1, 3]), heads(k!, [0, 2, 3, 1])), bias), -1);
      return reshape(transpose(matmul(probs, heads(v!, [0, 2, 1, 3])), [0, 2, 1, 3]), [0, 0, D]);
    };
    await expectSame(biased, feeds, 1e-5);
  });

  it('rejects inputs it cannot express', () => {
    const g = new Graph('bad', { kernels: FUSED_KERNELS });
    const q = g.input('q', 'float32', [L, D]);
    expect(() => fusedAttention(q, g.input('k', 'float32', [1, L, D]), g.input('v', 'float32', [1, L, D]), H)).toThrow(/must have the query's rank 2/);
    expect(() => attention(q, q, q, 5)).toThrow(/not divisible by 5 heads/);
    expect(() => fusedAttention(q, q, q, H, { zeroKeys: -1 })).toThrow(/zeroKeys/);
  });
});

describe('fused RMSNorm (SimplifiedLayerNormalization) = plain RMSNorm', () => {
  it('with a weight, without one, and on a batched [B, L, dim] input (eps inside the root)', async () => {
    const feeds = { x: f32([2, L, D], randn(2 * L * D, 50, 3)), w: f32([D], randn(D, 51)) };
    for (const eps of [1e-6, 0.5]) {
      const { fused } = await expectSame((g) => rmsNorm(g.input('x', 'float32', [2, L, D]), g.input('w', 'float32', [D]), eps), feeds);
      expect(fused.ops).toContain('SimplifiedLayerNormalization');
      await expectSame((g) => rmsNorm(g.input('x', 'float32', [2, L, D]), undefined, eps), { x: feeds.x });
    }
  });
});

describe('fused RoPE (com.microsoft.RotaryEmbedding, interleaved) = Wan applyRope', () => {
  it('per-token angle tables as the cos/sin cache, position_ids 0…L−1', async () => {
    const cfg = parseWanConfig({ patch_size: [1, 1, 1], text_len: 2, in_dim: 4, dim: D, ffn_dim: 8, freq_dim: 8, text_dim: 8, out_dim: 4, num_heads: H, num_layers: 1 });
    const C = D / H / 2;
    const angles = randn(L * C, 60, 4);
    const feeds = { x: f32([L, D], randn(L * D, 61)), cos: f32([L, 1, C, 1], angles.map(Math.cos)), sin: f32([L, 1, C, 1], angles.map(Math.sin)) };
    const { fused } = await expectSame((g) => {
      const b = { cfg, grid: { frames: 1, height: 1, width: L }, ropeCos: g.input('cos', 'float32', [L, 1, C, 1]), ropeSin: g.input('sin', 'float32', [L, 1, C, 1]) } as BlockContext;
      return applyRope(g.input('x', 'float32', [L, D]), b);
    }, feeds);
    expect(fused.ops).toContain('RotaryEmbedding');
  });
});

describe('kernel sets', () => {
  it('auto picks the provider set; fused / plain force one; bad names are refused', () => {
    expect(kernelSet('webgpu')).toEqual({ attention: false, rmsNorm: true, rope: true });
    expect(kernelSet('cuda')).toEqual(FUSED_KERNELS);
    expect(kernelSet('cpu')).toEqual(FUSED_KERNELS);
    expect(kernelSet()).toEqual(FUSED_KERNELS);
    expect(kernelSet('cpu', 'fused')).toBe(FUSED_KERNELS);
    expect(kernelSet('webgpu', 'plain')).toBe(PLAIN_KERNELS);
    expect(new Graph('g').kernels).toBe(PLAIN_KERNELS);
    expect(parseKernelChoice(undefined)).toBe('auto');
    expect(parseKernelChoice(' Fused ')).toBe('fused');
    expect(() => parseKernelChoice('fast')).toThrow('kernel set must be one of auto, fused, plain, got "fast"');
  });
});
