/**
 * Weighted blends of prompt embeddings ([..., dim]; every vector along the last axis is one
 * token's embedding, blended on its own):
 *  - 'linear': Σ wᵢ·eᵢ with the weights normalised to sum 1, then each token rescaled to the
 *    weighted mean of the inputs' norms (a plain average of dissimilar vectors is shorter than
 *    either, which washes the conditioning out);
 *  - 'slerp' (two prompts): the direction moves along the great circle from a to b, the norm
 *    moves linearly; tokens that are (anti)parallel or zero in one prompt (padding of the
 *    shorter prompt) fall back to the linear rule.
 * The `interpolation` parameter selects between them (upstream sends it and ignores it).
 */
import { f32, type F32Tensor } from '../model/tensor.ts';

export type Interpolation = 'linear' | 'slerp';
export const INTERPOLATIONS: readonly Interpolation[] = ['linear', 'slerp'];

export interface WeightedEmbedding {
  readonly embedding: F32Tensor;
  readonly weight: number;
}

/** Below this sin θ the two directions are treated as parallel (slerp's division is ill-conditioned). */
const PARALLEL_SIN = 1e-4;
const TINY_NORM = 1e-12;

function checkSameShape(items: readonly WeightedEmbedding[]): readonly number[] {
  const first = items[0];
  if (!first) throw new Error('prompt blend: no prompts given');
  const shape = first.embedding.shape;
  if (shape.length === 0) throw new Error('prompt blend: embeddings must have at least one axis');
  items.forEach((it, i) => {
    if (it.embedding.shape.join() !== shape.join()) {
      throw new Error(`prompt blend: prompt ${i} has shape [${it.embedding.shape.join(', ')}], prompt 0 has [${shape.join(', ')}]`);
    }
    if (!Number.isFinite(it.weight) || it.weight < 0) throw new Error(`prompt blend: prompt ${i} has weight ${it.weight}; weights must be finite and ≥ 0`);
  });
  return shape;
}

/** Weights scaled to sum 1 (an error when they sum to 0). */
export function normalizeWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new Error(`prompt blend: weights [${weights.join(', ')}] sum to ${total}; at least one must be > 0`);
  return weights.map((w) => w / total);
}

function norm(v: Float32Array, off: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += v[off + k]! * v[off + k]!;
  return Math.sqrt(s);
}

/** Norm-preserving weighted linear blend of any number of prompts. */
export function linearBlend(items: readonly WeightedEmbedding[]): F32Tensor {
  const shape = checkSameShape(items);
  const w = normalizeWeights(items.map((it) => it.weight));
  const dim = shape[shape.length - 1]!;
  const n = items[0]!.embedding.data.length;
  const out = new Float32Array(n);
  const acc = new Float64Array(dim);
  for (let off = 0; off < n; off += dim) {
    acc.fill(0);
    let target = 0;
    items.forEach((it, i) => {
      const d = it.embedding.data;
      for (let k = 0; k < dim; k++) acc[k]! += w[i]! * d[off + k]!;
      target += w[i]! * norm(d, off, dim);
    });
    let blended = 0;
    for (let k = 0; k < dim; k++) blended += acc[k]! * acc[k]!;
    blended = Math.sqrt(blended);
    const scale = blended > TINY_NORM ? target / blended : 1;
    for (let k = 0; k < dim; k++) out[off + k] = acc[k]! * scale;
  }
  return f32(shape, out);
}

/** Spherical interpolation a → b at t ∈ [0, 1] (t = 0 gives a, t = 1 gives b). */
export function slerpBlend(a: F32Tensor, b: F32Tensor, t: number): F32Tensor {
  if (!Number.isFinite(t) || t < 0 || t > 1) throw new Error(`slerp: t must be in [0, 1], got ${t}`);
  const shape = checkSameShape([{ embedding: a, weight: 1 }, { embedding: b, weight: 1 }]);
  const dim = shape[shape.length - 1]!;
  const out = new Float32Array(a.data.length);
  for (let off = 0; off < out.length; off += dim) {
    const na = norm(a.data, off, dim);
    const nb = norm(b.data, off, dim);
    let cos = 0;
    if (na > TINY_NORM && nb > TINY_NORM) {
      for (let k = 0; k < dim; k++) cos += a.data[off + k]! * b.data[off + k]!;
      cos = Math.max(-1, Math.min(1, cos / (na * nb)));
    }
    const theta = Math.acos(cos);
    const sin = Math.sin(theta);
    if (na <= TINY_NORM || nb <= TINY_NORM || sin < PARALLEL_SIN) {
      // Linear rule for this token (the norm-preserving rescale is the identity when parallel or one side is zero).
      const lin = linearBlend([
        { embedding: f32([dim], a.data.subarray(off, off + dim)), weight: 1 - t },
        { embedding: f32([dim], b.data.subarray(off, off + dim)), weight: t },
      ]);
      out.set(lin.data, off);
      continue;
    }
    const ca = Math.sin((1 - t) * theta) / sin / na;
    const cb = Math.sin(t * theta) / sin / nb;
    const length = (1 - t) * na + t * nb;
    for (let k = 0; k < dim; k++) out[off + k] = (ca * a.data[off + k]! + cb * b.data[off + k]!) * length;
  }
  return f32(shape, out);
}

/** Blends prompts with the chosen interpolation; slerp needs exactly two prompts. */
export function blendEmbeddings(items: readonly WeightedEmbedding[], interpolation: Interpolation = 'linear'): F32Tensor {
  if (interpolation === 'linear') return linearBlend(items);
  if (interpolation === 'slerp') {
    if (items.length === 1) return linearBlend(items);
    if (items.length !== 2) throw new Error(`prompt blend: slerp blends exactly two prompts, got ${items.length} (use interpolation "linear")`);
    checkSameShape(items);
    const [, w1] = normalizeWeights(items.map((it) => it.weight));
    return slerpBlend(items[0]!.embedding, items[1]!.embedding, w1!);
  }
  throw new Error(`prompt blend: unknown interpolation ${JSON.stringify(interpolation)} (expected one of ${INTERPOLATIONS.join(', ')})`);
}

export interface WeightedPrompt {
  readonly text: string;
  readonly weight: number;
}

/**
 * Parses the session's prompt parameter, `text:weight | text:weight` (weight optional, default 1).
 * Only a trailing `:number` after a non-digit is a weight, so "a clock at 10:30" stays one
 * prompt of weight 1. Empty parts are dropped; an empty parameter is one empty prompt.
 */
export function parseWeightedPrompts(param: string): WeightedPrompt[] {
  const parts = param.split('|').map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) return [{ text: '', weight: 1 }];
  return parts.map((part) => {
    const m = /^(.*?\D)\s*:\s*(-?(?:\d+\.?\d*|\.\d+))$/s.exec(part);
    if (!m) return { text: part, weight: 1 };
    const text = m[1]!.trim();
    const weight = Number(m[2]);
    if (!(weight >= 0)) throw new Error(`prompt "${text}": weight ${m[2]} must be ≥ 0`);
    return { text, weight };
  });
}
