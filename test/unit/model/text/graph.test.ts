/**
 * The UMT5 encoder graph (src/model/text/graph.ts) at a tiny size against a plain-JS float64
 * evaluation of T5's equations: per-block relative-position bias gathered from the bucket matrix,
 * UNscaled attention logits, masked keys whose bias is replaced by the float32 minimum, the
 * gated-GELU FFN, RMS norms; plus the mask contract (prompt_embeds rows zeroed, padded tokens
 * invisible to real ones), symbolic batch and length, and the debug outputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUSED_KERNELS, PLAIN_KERNELS, type KernelSet } from '../../../../src/model/onnx/kernels.ts';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import type { Tensor } from '../../../../src/model/tensor.ts';
import { parseUmt5Config } from '../../../../src/model/text/config.ts';
import { buildUmt5EncoderGraph } from '../../../../src/model/text/graph.ts';
import { umt5Params } from '../../../../src/model/text/param-spec.ts';
import { relativeBucketMatrix } from '../../../../src/model/text/relative-position.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';

const cfg = parseUmt5Config({ vocab_size: 11, dim: 8, dim_attn: 6, dim_ffn: 10, num_heads: 2, encoder_layers: 2, num_buckets: 8, max_dist: 16 });
const weights = randomWeights(umt5Params(cfg), 21);
const w = (k: string) => weights.getF32(k).data;

const FLOAT32_MIN = -3.4028234663852886e38;

function feeds(ids: number[][], mask: number[][]): Record<string, Tensor> {
  const B = ids.length;
  const L = ids[0]!.length;
  return {
    ids: { dtype: 'int64', shape: [B, L], data: BigInt64Array.from(ids.flat(), BigInt) },
    mask: { dtype: 'int64', shape: [B, L], data: BigInt64Array.from(mask.flat(), BigInt) },
    rel_buckets: relativeBucketMatrix(L, cfg.num_buckets, cfg.max_dist),
  };
}

// ---- plain-JS reference (float64) ----

type M = number[][];
const proj = (x: M, name: string, out: number, inp: number): M => {
  const W = w(`${name}.weight`);
  return x.map((r) => Array.from({ length: out }, (_, o) => r.reduce((a, v, k) => a + v * W[o * inp + k]!, 0)));
};
const rms = (x: M, weight: ArrayLike<number>): M =>
  x.map((r) => {
    const ms = r.reduce((a, b) => a + b * b, 0) / r.length;
    return r.map((v, j) => (v / Math.sqrt(ms + cfg.eps)) * weight[j]!);
  });
const geluTanh = (v: number) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

/** One sequence: ids [L], mask [L] → { context, promptEmbeds, blocks, posBias } as row lists. */
function reference(ids: number[], mask: number[]): { context: M; promptEmbeds: M; embeddings: M; blocks: M[]; posBias: number[][][][] } {
  const L = ids.length;
  const H = cfg.num_heads;
  const c = cfg.dim_attn / H;
  const buckets = relativeBucketMatrix(L, cfg.num_buckets, cfg.max_dist).data;
  const emb = w('token_embedding.weight');
  let x: M = ids.map((id) => Array.from({ length: cfg.dim }, (_, j) => emb[id * cfg.dim + j]!));
  const embeddings = x;
  const blocks: M[] = [];
  const posBias: number[][][][] = [];
  for (let b = 0; b < cfg.encoder_layers; b++) {
    const p = `blocks.${b}`;
    const table = w(`${p}.pos_embedding.embedding.weight`); // [num_buckets, H]
    const bias = Array.from({ length: H }, (_, h) => Array.from({ length: L }, (_, i) => Array.from({ length: L }, (_, j) => table[Number(buckets[i * L + j]!) * H + h]!)));
    posBias.push(bias);
    const hN = rms(x, w(`${p}.norm1.weight`));
    const q = proj(hN, `${p}.attn.q`, cfg.dim_attn, cfg.dim);
    const k = proj(hN, `${p}.attn.k`, cfg.dim_attn, cfg.dim);
    const v = proj(hN, `${p}.attn.v`, cfg.dim_attn, cfg.dim);
    const att: M = Array.from({ length: L }, () => new Array<number>(cfg.dim_attn).fill(0));
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const logits = Array.from({ length: L }, (_, j) => {
          let s = 0;
          for (let t = 0; t < c; t++) s += q[i]![h * c + t]! * k[j]![h * c + t]!;
          return s + (mask[j] === 0 ? FLOAT32_MIN : bias[h]![i]![j]!); // no 1/√c; masked: bias replaced
        });
        const m = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - m));
        const z = e.reduce((a, b2) => a + b2, 0);
        for (let j = 0; j < L; j++) for (let t = 0; t < c; t++) att[i]![h * c + t]! += (e[j]! / z) * v[j]![h * c + t]!;
      }
    const o = proj(att, `${p}.attn.o`, cfg.dim, cfg.dim_attn);
    x = x.map((r, i) => r.map((val, j) => val + o[i]![j]!));
    const h2 = rms(x, w(`${p}.norm2.weight`));
    const gate = proj(h2, `${p}.ffn.gate.0`, cfg.dim_ffn, cfg.dim).map((r) => r.map(geluTanh));
    const fc1 = proj(h2, `${p}.ffn.fc1`, cfg.dim_ffn, cfg.dim);
    const ff = proj(fc1.map((r, i) => r.map((val, j) => val * gate[i]![j]!)), `${p}.ffn.fc2`, cfg.dim, cfg.dim_ffn);
    x = x.map((r, i) => r.map((val, j) => val + ff[i]![j]!));
    blocks.push(x);
  }
  const context = rms(x, w('norm.weight'));
  return { context, promptEmbeds: context.map((r, i) => r.map((v) => v * mask[i]!)), embeddings, blocks, posBias };
}

function rowsOf(t: Tensor, b: number): M {
  const [, L, D] = t.shape as [number, number, number];
  const d = t.data as Float32Array;
  return Array.from({ length: L }, (_, i) => Array.from(d.subarray((b * L + i) * D, (b * L + i + 1) * D)));
}

function maxDiff(a: M, b: M): number {
  let m = 0;
  a.forEach((r, i) => r.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

// Every check runs with the plain ops and with the fused contrib ops (MultiHeadAttention with attention_bias, SimplifiedLayerNormalization).
const KERNEL_SETS: [string, KernelSet][] = [
  ['plain', PLAIN_KERNELS],
  ['fused', FUSED_KERNELS],
];

describe.each(KERNEL_SETS)('buildUmt5EncoderGraph (%s kernels)', (_name, kernels) => {
  let session: ModelSession;
  beforeAll(async () => {
    session = await ModelSession.fromGraph(buildUmt5EncoderGraph(cfg, (g) => paramSource(g, weights), { debug: true, kernels }), { threads: 1 });
  });
  afterAll(async () => session?.release());

  const ids = [
    [3, 7, 1, 10, 5],
    [2, 2, 9, 0, 0],
  ];
  const mask = [
    [1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0],
  ];

  it('declares symbolic batch and length inputs and the two outputs (plus debug ones)', () => {
    expect(session.inputNames).toEqual(['ids', 'mask', 'rel_buckets']);
    expect(session.outputNames).toEqual(expect.arrayContaining(['context', 'prompt_embeds', 'embeddings', 'block.0', 'block.1', 'pos_bias.0', 'pos_bias.1']));
  });

  it('matches the JS reference for a full and a padded prompt in one batch', async () => {
    const out = await session.run(feeds(ids, mask));
    expect(out.context!.shape).toEqual([2, 5, cfg.dim]);
    expect(out.prompt_embeds!.shape).toEqual([2, 5, cfg.dim]);
    for (let b = 0; b < 2; b++) {
      const ref = reference(ids[b]!, mask[b]!);
      expect(maxDiff(rowsOf(out.embeddings!, b), ref.embeddings), `embeddings ${b}`).toBe(0);
      expect(maxDiff(rowsOf(out['block.0']!, b), ref.blocks[0]!), `block.0 ${b}`).toBeLessThan(1e-5);
      expect(maxDiff(rowsOf(out['block.1']!, b), ref.blocks[1]!), `block.1 ${b}`).toBeLessThan(1e-5);
      expect(maxDiff(rowsOf(out.context!, b), ref.context), `context ${b}`).toBeLessThan(1e-5);
      expect(maxDiff(rowsOf(out.prompt_embeds!, b), ref.promptEmbeds), `prompt_embeds ${b}`).toBeLessThan(1e-5);
    }
  });

  it('pos_bias.i is block i’s own table gathered by the bucket matrix, [1, H, L, L]', async () => {
    const out = await session.run(feeds(ids, mask));
    const ref = reference(ids[0]!, mask[0]!);
    for (let b = 0; b < cfg.encoder_layers; b++) {
      const t = out[`pos_bias.${b}`]!;
      expect(t.shape).toEqual([1, cfg.num_heads, 5, 5]);
      expect(Array.from(t.data as Float32Array)).toEqual(ref.posBias[b]!.flat(2).map(Math.fround));
    }
    // Per-block tables: the two blocks' biases differ.
    expect(Array.from(out['pos_bias.0']!.data as Float32Array)).not.toEqual(Array.from(out['pos_bias.1']!.data as Float32Array));
  });

  it('prompt_embeds zeroes the padded rows exactly; context keeps them', async () => {
    const out = await session.run(feeds(ids, mask));
    const pe = rowsOf(out.prompt_embeds!, 1);
    const ctx = rowsOf(out.context!, 1);
    expect(pe[3]!.every((v) => v === 0) && pe[4]!.every((v) => v === 0)).toBe(true);
    expect(ctx[3]!.some((v) => v !== 0)).toBe(true);
    expect(pe.slice(0, 3)).toEqual(ctx.slice(0, 3));
  });

  it('real tokens do not see padded ones: changing the padded ids changes no real row', async () => {
    const a = await session.run(feeds([[4, 8, 6, 0, 0]], [[1, 1, 1, 0, 0]]));
    const b = await session.run(feeds([[4, 8, 6, 9, 3]], [[1, 1, 1, 0, 0]]));
    const unmasked = await session.run(feeds([[4, 8, 6, 9, 3]], [[1, 1, 1, 1, 1]]));
    expect(rowsOf(a.prompt_embeds!, 0).slice(0, 3)).toEqual(rowsOf(b.prompt_embeds!, 0).slice(0, 3));
    expect(rowsOf(b.prompt_embeds!, 0).slice(3).flat().every((v) => v === 0)).toBe(true);
    expect(maxDiff(rowsOf(a.context!, 0).slice(0, 3), rowsOf(unmasked.context!, 0).slice(0, 3))).toBeGreaterThan(1e-4);
  });

  it('one session serves any length and batch: each row equals its own single-sequence run', async () => {
    const three = await session.run(feeds([[1, 2, 3]], [[1, 1, 1]]));
    expect(three.context!.shape).toEqual([1, 3, cfg.dim]);
    expect(maxDiff(rowsOf(three.context!, 0), reference([1, 2, 3], [1, 1, 1]).context)).toBeLessThan(1e-5);
    const batch = await session.run(feeds(ids, mask));
    const single = await session.run(feeds([ids[1]!], [mask[1]!]));
    expect(maxDiff(rowsOf(batch.context!, 1), rowsOf(single.context!, 0))).toBeLessThan(1e-6);
  });

  it('without debug the graph has only context and prompt_embeds', async () => {
    const s = await ModelSession.fromGraph(buildUmt5EncoderGraph(cfg, (g) => paramSource(g, weights), { kernels }), { threads: 1 });
    expect(s.outputNames).toEqual(['context', 'prompt_embeds']);
    const out = await s.run(feeds(ids, mask));
    await s.release();
    expect(maxDiff(rowsOf(out.context!, 0), reference(ids[0]!, mask[0]!).context)).toBeLessThan(1e-5);
  });
});
