/**
 * Neural-network building blocks composed from ops.ts: the sub-graphs every model here shares.
 * Weights come from a `ParamSource` so the same builders serve fixtures and real checkpoints.
 */
import { fusedAttention, fusedRmsNorm } from './fused.ts';
import type { Value } from './graph.ts';
import { add, div, exp, gemmTransB, layerNormalization, matmul, max, mul, neg, reduceMax, reduceMean, reduceSum, reshape, softmax, sqrt, sub, transpose } from './ops.ts';

/** Looks up a model parameter by its checkpoint name and returns it as a graph value. */
export type ParamSource = (name: string, expectedShape?: readonly number[]) => Value;

/** PyTorch nn.Linear on a 2-D input [tokens, in]: y = x·Wᵀ + b. */
export function linear(x: Value, p: ParamSource, prefix: string, bias = true): Value {
  const w = p(`${prefix}.weight`);
  return gemmTransB(x, w, bias ? p(`${prefix}.bias`) : undefined);
}

/** Why normalisation statistics stay float32 in the float16 variant (graph.fp32Region). */
export const NORM_STATISTICS_FP32 = 'norm statistics: x² overflows half precision past |x| ≈ 256 and long sums lose their low bits';
/** Why attention's logits → probabilities stay float32 in the float16 variant. */
export const SOFTMAX_FP32 = 'attention logits → probabilities: exp and the row sums need float32 range and precision (masks use −1e30-like constants)';

/** RMSNorm over the last axis: x · rsqrt(mean(x²) + eps) · w (eps added inside the root, as PyTorch). */
export function rmsNorm(x: Value, weight: Value | undefined, eps: number): Value {
  // The fused op is in the region too: its float16 kernels' statistics precision differs by provider.
  if (x.graph.kernels.rmsNorm) return x.graph.fp32Region(NORM_STATISTICS_FP32, () => fusedRmsNorm(x, weight, eps));
  const y = x.graph.fp32Region(NORM_STATISTICS_FP32, () => {
    const ms = reduceMean(mul(x, x), [-1]);
    return div(x, sqrt(add(ms, eps)));
  });
  return weight ? mul(y, weight) : y;
}

/**
 * LayerNorm over the last axis; affine when `prefix` names weight/bias in `p`. No fp32 region:
 * ONNX LayerNormalization computes its mean and variance in stash_type (float32) for half inputs.
 */
export function layerNorm(x: Value, eps: number, p?: ParamSource, prefix?: string): Value {
  if (p && prefix) return layerNormalization(x, eps, p(`${prefix}.weight`), p(`${prefix}.bias`));
  return layerNormalization(x, eps);
}

/**
 * Multi-head scaled dot-product attention on 2-D token matrices.
 * q [Lq, H·d], k/v [Lk, H·d] → [Lq, H·d]; scale 1/√d. Optional `extraKeys` appends keys with
 * logit 0 and value 0 (the zero padding some upstream kernels attend to) without materialising them.
 */
export function attention(q: Value, k: Value, v: Value, heads: number, opts: { zeroKeys?: number } = {}): Value {
  if (q.graph.kernels.attention) return fusedAttention(q, k, v, heads, opts);
  const dim = q.staticShape()[1]!;
  const d = dim / heads;
  if (!Number.isInteger(d)) throw new Error(`attention: dim ${dim} not divisible by ${heads} heads`);
  const qh = transpose(reshape(q, [0, heads, d]), [1, 0, 2]); // [H, Lq, d]
  const kh = transpose(reshape(k, [0, heads, d]), [1, 2, 0]); // [H, d, Lk]
  const vh = transpose(reshape(v, [0, heads, d]), [1, 0, 2]); // [H, Lk, d]
  const scores = matmul(qh, kh); // [H, Lq, Lk]
  const zeroKeys = opts.zeroKeys ?? 0;
  const probs = q.graph.fp32Region(SOFTMAX_FP32, () => {
    const logits = mul(scores, 1 / Math.sqrt(d));
    if (zeroKeys === 0) return softmax(logits, -1);
    // Zero keys have logit exactly 0 and value 0: they only add exp(0 − m) each to the softmax
    // denominator. p = exp(l − m) / (Σ exp(l − m) + Z·exp(−m)) with m = max(max l, 0).
    const m = max(reduceMax(logits, [-1]), 0);
    const e = exp(sub(logits, m));
    return div(e, add(reduceSum(e, [-1]), mul(exp(neg(m)), zeroKeys)));
  });
  const out = matmul(probs, vh); // [H, Lq, d]
  return reshape(transpose(out, [1, 0, 2]), [0, dim]);
}

/**
 * PyTorch GroupNorm on [N, C, ...spatial]: mean and biased variance per sample over each group of
 * C/groups channels and all spatial positions, then a per-channel affine when `prefix` is given.
 */
export function groupNorm(x: Value, groups: number, eps: number, p?: ParamSource, prefix?: string): Value {
  const shape = x.staticShape();
  const [n, c] = shape as [number, number];
  if (c % groups !== 0) throw new Error(`groupNorm on "${x.name}": ${c} channels not divisible by ${groups} groups`);
  const normed = x.graph.fp32Region(NORM_STATISTICS_FP32, () => {
    const grouped = reshape(x, [n, groups, -1]);
    const mean = reduceMean(grouped, [-1]);
    const centred = sub(grouped, mean);
    const variance = reduceMean(mul(centred, centred), [-1]);
    return reshape(div(centred, sqrt(add(variance, eps))), shape);
  });
  if (!p || !prefix) return normed;
  const perChannel = [c, ...shape.slice(2).map(() => 1)];
  return add(mul(normed, reshape(p(`${prefix}.weight`), perChannel)), reshape(p(`${prefix}.bias`), perChannel));
}
