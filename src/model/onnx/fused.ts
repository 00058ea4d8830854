/**
 * Builders for onnxruntime's fused contrib ops, each computing exactly what its plain-op
 * counterpart in nn.ts / wan/block.ts / text/graph.ts computes. Which one a graph gets is its
 * kernel set (kernels.ts); the table there says which provider implements which op.
 */
import { MS_DOMAIN, type Value } from './graph.ts';
import { pad, reshape, squeeze, unsqueeze } from './ops.ts';

export interface FusedAttentionOptions {
  /** Logit scale; default 1/√head_dim. */
  scale?: number;
  /** Added to the logits, [B or 1, H or 1, Lq, Lk] (MultiHeadAttention's attention_bias). */
  bias?: Value;
  /** Extra keys with logit 0 and value 0 after the real ones (see nn.attention). */
  zeroKeys?: number;
}

/**
 * com.microsoft.MultiHeadAttention on token matrices: q [Lq, H·d] with k/v [Lk, H·d], or batched
 * [B, Lq, H·d] with [B, Lk, H·d]; returns q's shape. Keys may be longer or shorter than queries
 * (a KV window, cross-attention).
 *
 * Zero keys are appended as explicit rows of zeros in K and V: a zero key's logit is q·0·scale = 0
 * exactly and a zero value adds nothing, so this is the same softmax as the plain path's
 * denominator term, at the cost of attending to at most 127 more keys.
 */
export function fusedAttention(q: Value, k: Value, v: Value, heads: number, opts: FusedAttentionOptions = {}): Value {
  const rank = q.rank;
  if (rank !== 2 && rank !== 3) throw new Error(`fusedAttention: query "${q.name}" must be [L, dim] or [B, L, dim], got rank ${rank}`);
  if (k.rank !== rank || v.rank !== rank) throw new Error(`fusedAttention: key "${k.name}" and value "${v.name}" must have the query's rank ${rank}`);
  const dim = q.shape![rank - 1];
  if (typeof dim !== 'number') throw new Error(`fusedAttention: query "${q.name}" needs a static last dim`);
  const d = dim / heads;
  if (!Number.isInteger(d)) throw new Error(`attention: dim ${dim} not divisible by ${heads} heads`);
  const zeroKeys = opts.zeroKeys ?? 0;
  if (zeroKeys < 0 || !Number.isInteger(zeroKeys)) throw new Error(`fusedAttention: zeroKeys must be a whole number ≥ 0, got ${zeroKeys}`);
  const withZeros = (t: Value) => (zeroKeys > 0 ? pad(t, rank === 2 ? [0, 0, zeroKeys, 0] : [0, 0, 0, 0, zeroKeys, 0]) : t);
  const batched = (t: Value) => (rank === 2 ? unsqueeze(t, [0]) : t);
  const inputs = [batched(q), batched(withZeros(k)), batched(withZeros(v)), null, null, opts.bias ?? null];
  while (inputs[inputs.length - 1] === null) inputs.pop();
  const outShape = rank === 2 ? [1, ...q.shape!] : q.shape;
  const [out] = q.graph.node('MultiHeadAttention', inputs, { num_heads: heads, scale: { float: opts.scale ?? 1 / Math.sqrt(d) } }, { domain: MS_DOMAIN, outShapes: [outShape] });
  return rank === 2 ? squeeze(out!, [0]) : out!;
}

/**
 * RMSNorm over the last axis as SimplifiedLayerNormalization: x / √(mean(x²) + eps) · w, the eps
 * inside the root as PyTorch and Wan/T5 have it. Without a weight, the scale is ones.
 */
export function fusedRmsNorm(x: Value, weight: Value | undefined, eps: number): Value {
  let scale = weight;
  if (!scale) {
    const last = x.shape?.[x.shape.length - 1];
    if (typeof last !== 'number') throw new Error(`fusedRmsNorm on "${x.name}" without a weight needs a static last dim`);
    scale = x.graph.constant(new Array<number>(last).fill(1), x.dtype, [last]);
  }
  const [y] = x.graph.node('SimplifiedLayerNormalization', [x, scale], { axis: -1, epsilon: { float: eps } }, { outShapes: [x.shape] });
  return y!;
}

/**
 * Interleaved-pair RoPE as com.microsoft.RotaryEmbedding: for each head, pair m = (x[2m], x[2m+1])
 * is rotated by angle table row t: (x₀cos − x₁sin, x₁cos + x₀sin). x is [L, H·2c]; cos/sin are
 * per-token tables [L, c] (Wan's 3-D angles computed on the host), so position_ids are 0…L−1 and
 * the op's "cache" is one row per token.
 */
export function fusedRope(x: Value, cos: Value, sin: Value, heads: number): Value {
  const [L, dim] = x.staticShape() as [number, number];
  const c = dim / heads / 2;
  if (!Number.isInteger(c)) throw new Error(`fusedRope: dim ${dim} is not ${heads} heads of an even size`);
  const cs = cos.staticShape();
  if (cs.length !== 2 || cs[0] !== L || cs[1] !== c) throw new Error(`fusedRope: angle table "${cos.name}" is [${cs.join(', ')}], expected [${L}, ${c}]`);
  const positions = x.graph.constant(Array.from({ length: L }, (_, i) => i), 'int64', [1, L]);
  const [y] = x.graph.node(
    'RotaryEmbedding',
    [unsqueeze(x, [0]), positions, cos, sin],
    { interleaved: 1, num_heads: heads, rotary_embedding_dim: 2 * c },
    { domain: MS_DOMAIN, outShapes: [[1, L, dim]] },
  );
  return reshape(y!, [L, dim]);
}
