/**
 * One Wan2.1 attention block (WanAttentionBlock): adaLN-modulated self-attention with qk
 * RMSNorm and 3-D RoPE, un-modulated cross-attention to the text, modulated tanh-GELU FFN.
 * The same function builds main blocks and VACE blocks (which share the structure).
 */
import type { Value } from '../onnx/graph.ts';
import { fusedRope } from '../onnx/fused.ts';
import { attention, layerNorm, linear, rmsNorm, type ParamSource } from '../onnx/nn.ts';
import { add, concat, gelu, mul, reshape, slice, sliceFrom, sub } from '../onnx/ops.ts';
import type { TokenGrid, WanConfig } from './config.ts';

export interface BlockContext {
  cfg: WanConfig;
  grid: TokenGrid;
  /** Per-frame time projection e0, [F, 6, dim] (before the block's own modulation offsets). */
  e0: Value;
  /** Embedded text context [text_len, dim]. */
  ctx: Value;
  /** RoPE tables shaped [L, 1, c, 1] for broadcasting over heads. */
  ropeCos: Value;
  ropeSin: Value;
}

/**
 * Why parts of a block stay float32 in the float16 variant: upstream Wan2.1 runs exactly these
 * under amp.autocast(float32) — the modulation, the norms with their modulation, and every
 * residual update, so the residual stream is float32 — and applies RoPE in float64.
 */
export const RESIDUAL_FP32 = 'Wan residual stream, norms and modulation: float32 upstream (amp.autocast float32)';
export const ROPE_FP32 = 'RoPE: upstream rotates in float64; half-precision cos/sin tables are off by 5e-4';

export interface BlockResult {
  x: Value;
  /** This block's roped keys and raw values for the current tokens, [L, dim] (what a KV cache stores). */
  k: Value;
  v: Value;
}

/** Interleaved-pair rotation: pair m = (x[2m], x[2m+1]) · e^{i·angle}. x is [L, dim]. */
export function applyRope(x: Value, b: BlockContext): Value {
  const { dim, num_heads: H } = b.cfg;
  const c = dim / H / 2;
  return x.graph.fp32Region(ROPE_FP32, () => {
    if (x.graph.kernels.rope) return fusedRope(x, reshape(b.ropeCos, [-1, c]), reshape(b.ropeSin, [-1, c]), H);
    const pairs = reshape(x, [0, H, c, 2]);
    const re = slice(pairs, [0], [1], [3]);
    const im = slice(pairs, [1], [2], [3]);
    const outRe = sub(mul(re, b.ropeCos), mul(im, b.ropeSin));
    const outIm = add(mul(re, b.ropeSin), mul(im, b.ropeCos));
    return reshape(concat([outRe, outIm], 3), [0, dim]);
  });
}

/** x·(1 + scale) + shift with per-frame modulation: x [L, dim], shift/scale [F, 1, dim]. */
function modulate(x: Value, shift: Value, scale: Value, b: BlockContext): Value {
  const fs = b.grid.height * b.grid.width;
  const xf = reshape(x, [b.grid.frames, fs, b.cfg.dim]);
  return reshape(add(mul(xf, add(scale, 1)), shift), [-1, b.cfg.dim]);
}

function gated(x: Value, y: Value, gate: Value, b: BlockContext): Value {
  const fs = b.grid.height * b.grid.width;
  const yf = reshape(y, [b.grid.frames, fs, b.cfg.dim]);
  return add(x, reshape(mul(yf, gate), [-1, b.cfg.dim]));
}

export interface BlockOptions {
  /** Cached keys/values of earlier frames [P, dim] (roped keys), attended before the current tokens. */
  cacheK?: Value;
  cacheV?: Value;
  /** int64 [1]: index of the first current token that is attended (earlier ones are attended from the cache instead). */
  freshFrom?: Value;
  /** Zero keys appended to self-attention (scope's flex-attention padding to a multiple of 128). */
  zeroKeys?: number;
}

export function attentionBlock(x: Value, p: ParamSource, prefix: string, b: BlockContext, opts: BlockOptions = {}): BlockResult {
  const g = x.graph;
  const { cfg } = b;
  const fp32 = <T>(fn: () => T) => g.fp32Region(RESIDUAL_FP32, fn);
  const m = fp32(() => {
    const mod = add(p(`${prefix}.modulation`, [1, 6, cfg.dim]), b.e0); // [F, 6, dim]
    return [0, 1, 2, 3, 4, 5].map((i) => slice(mod, [i], [i + 1], [1])); // each [F, 1, dim]
  });
  return g.scope(prefix, () => {
    // Self-attention.
    const h = fp32(() => modulate(layerNorm(x, cfg.eps), m[0]!, m[1]!, b));
    let q = linear(h, p, `${prefix}.self_attn.q`);
    let k = linear(h, p, `${prefix}.self_attn.k`);
    const v = linear(h, p, `${prefix}.self_attn.v`);
    if (cfg.qk_norm) {
      q = rmsNorm(q, p(`${prefix}.self_attn.norm_q.weight`), cfg.eps);
      k = rmsNorm(k, p(`${prefix}.self_attn.norm_k.weight`), cfg.eps);
    }
    q = applyRope(q, b);
    k = applyRope(k, b);
    const L = b.grid.frames * b.grid.height * b.grid.width;
    const fresh = (t: Value) => (opts.freshFrom ? sliceFrom(t, opts.freshFrom, L, 0) : t);
    const kAll = opts.cacheK ? concat([opts.cacheK, fresh(k)], 0) : k;
    const vAll = opts.cacheV ? concat([opts.cacheV, fresh(v)], 0) : v;
    const sa = linear(attention(q, kAll, vAll, cfg.num_heads, { zeroKeys: opts.zeroKeys }), p, `${prefix}.self_attn.o`);
    let out = fp32(() => gated(x, sa, m[2]!, b));

    // Cross-attention to the text (no modulation, no gate).
    const hc = cfg.cross_attn_norm ? fp32(() => layerNorm(out, cfg.eps, p, `${prefix}.norm3`)) : out;
    let cq = linear(hc, p, `${prefix}.cross_attn.q`);
    let ck = linear(b.ctx, p, `${prefix}.cross_attn.k`);
    const cv = linear(b.ctx, p, `${prefix}.cross_attn.v`);
    if (cfg.qk_norm) {
      cq = rmsNorm(cq, p(`${prefix}.cross_attn.norm_q.weight`), cfg.eps);
      ck = rmsNorm(ck, p(`${prefix}.cross_attn.norm_k.weight`), cfg.eps);
    }
    const ca = linear(attention(cq, ck, cv, cfg.num_heads), p, `${prefix}.cross_attn.o`);
    out = fp32(() => add(out, ca));

    // Feed-forward.
    const hf = fp32(() => modulate(layerNorm(out, cfg.eps), m[3]!, m[4]!, b));
    const ff = linear(gelu(linear(hf, p, `${prefix}.ffn.0`), 'tanh'), p, `${prefix}.ffn.2`);
    out = fp32(() => gated(out, ff, m[5]!, b));
    return { x: out, k, v };
  });
}
