/**
 * The temporal motion module of Video-Depth-Anything's DPT head (AnimateDiff style): per-frame
 * GroupNorm, proj_in, one transformer block whose attention runs over TIME independently at
 * every spatial position (sinusoidal absolute position table added first), a GEGLU feed-forward,
 * proj_out and the residual.
 *
 * Streaming (scope): with a cache, each attention block prepends the cached previous frame's
 * normed input to the current frame's along time, adds pe[0..P+T), and takes queries from the
 * current frames only. Each attention block returns its current normed, pre-PE input as the
 * next cache ([h·w, 1, C] for the last frame).
 *
 * With `cacheValid` (bool [1]) one graph serves both cases: when it is false the cached key is
 * masked out (logit −1e30, weight exactly 0) and the current frames take pe[0…T) as if there
 * were no cache, which reproduces the cache-less attention exactly.
 */
import type { Value } from '../onnx/graph.ts';
import { groupNorm, SOFTMAX_FP32, type ParamSource } from '../onnx/nn.ts';
import { add, concat, gelu, gemmTransB, layerNormalization, matmul, mul, reshape, slice, softmax, transpose, where } from '../onnx/ops.ts';
import type { DepthConfig } from './config.ts';

const GN_EPS = 1e-6;
const LN_EPS = 1e-5;
export const ATTENTION_BLOCKS = 2;

export interface MotionModuleOutput {
  readonly out: Value;
  /** One entry per attention block: [h·w, 1, C], the last frame's normed pre-PE input. */
  readonly cache: Value[];
}

function lin(x: Value, p: ParamSource, prefix: string, bias = true): Value {
  return gemmTransB(x, p(`${prefix}.weight`), bias ? p(`${prefix}.bias`) : undefined);
}

/** Attention over time. `normed` [T·S, C] in (frame, position) order; `cached` [S, P, C] or none. */
function temporalAttention(normed: Value, T: number, S: number, heads: number, p: ParamSource, prefix: string, cached: Value | undefined, cacheValid: Value | undefined): { out: Value; current: Value } {
  const C = normed.staticShape()[1]!;
  const d = C / heads;
  const current = transpose(reshape(normed, [T, S, C]), [1, 0, 2]); // [S, T, C]
  const P = cached ? cached.staticShape()[1]! : 0;
  const seq = cached ? concat([cached, current], 1) : current; // [S, P+T, C]
  const L = P + T;
  const table = p(`${prefix}.pos_encoder.pe`);
  let pe = slice(table, [0], [L], [1]); // [1, L, C]
  let keyBias: Value | undefined;
  const g = normed.graph;
  if (cached && cacheValid) {
    const currentPe = where(cacheValid, slice(table, [P], [L], [1]), slice(table, [0], [T], [1]));
    pe = concat([slice(table, [0], [P], [1]), currentPe], 1);
    keyBias = g.fp32Region(SOFTMAX_FP32, () => {
      const cacheBias = where(cacheValid, g.constant(new Array<number>(P).fill(0), 'float32', [P]), -1e30);
      return concat([cacheBias, g.constant(new Array<number>(T).fill(0), 'float32', [T])], 0); // [L]
    });
  }
  const x = add(seq, pe);
  const flat = reshape(x, [S * L, C]);
  const queries = P > 0 ? reshape(slice(x, [P], [L], [1]), [S * T, C]) : flat;
  const heads4 = (v: Value, len: number) => transpose(reshape(v, [S, len, heads, d]), [0, 2, 1, 3]); // [S, H, len, d]
  const q = heads4(lin(queries, p, `${prefix}.to_q`, false), T);
  const k = heads4(lin(flat, p, `${prefix}.to_k`, false), L);
  const v = heads4(lin(flat, p, `${prefix}.to_v`, false), L);
  const scores = matmul(q, transpose(k, [0, 1, 3, 2])); // [S, H, T, L]
  const probs = g.fp32Region(SOFTMAX_FP32, () => {
    const logits = mul(scores, 1 / Math.sqrt(d));
    return softmax(keyBias ? add(logits, keyBias) : logits, -1);
  });
  const attended = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [S * T, C]); // (position, frame) order
  const projected = lin(attended, p, `${prefix}.to_out.0`);
  const out = reshape(transpose(reshape(projected, [S, T, C]), [1, 0, 2]), [T * S, C]);
  return { out, current: slice(current, [T - 1], [T], [1]) };
}

/** `x` is [T, C, h, w] (the frames of one clip); `cache` holds one [h·w, P, C] per attention block. */
export function motionModule(x: Value, cfg: DepthConfig, p: ParamSource, prefix: string, cache?: readonly Value[], cacheValid?: Value): MotionModuleOutput {
  const g = x.graph;
  const [T, C, h, w] = x.staticShape() as [number, number, number, number];
  const S = h * w;
  const tt = `${prefix}.temporal_transformer`;
  const blockPrefix = `${tt}.transformer_blocks.0`;
  return g.scope(prefix.replace(/\./g, '_'), () => {
    const normed = groupNorm(x, cfg.motionGroups, GN_EPS, p, `${tt}.norm`);
    let z = lin(reshape(transpose(normed, [0, 2, 3, 1]), [T * S, C]), p, `${tt}.proj_in`);
    const newCache: Value[] = [];
    for (let k = 0; k < ATTENTION_BLOCKS; k++) {
      const n = layerNormalization(z, LN_EPS, p(`${blockPrefix}.norms.${k}.weight`), p(`${blockPrefix}.norms.${k}.bias`));
      const a = temporalAttention(n, T, S, cfg.motionHeads, p, `${blockPrefix}.attention_blocks.${k}`, cache?.[k], cacheValid);
      z = add(z, a.out);
      newCache.push(a.current);
    }
    const f = layerNormalization(z, LN_EPS, p(`${blockPrefix}.ff_norm.weight`), p(`${blockPrefix}.ff_norm.bias`));
    const proj = lin(f, p, `${blockPrefix}.ff.net.0.proj`);
    const inner = proj.staticShape()[1]! / 2;
    // GEGLU: the first half is the value, the second the gate.
    const geglu = mul(slice(proj, [0], [inner], [1]), gelu(slice(proj, [inner], [2 * inner], [1]), 'none'));
    z = add(z, lin(geglu, p, `${blockPrefix}.ff.net.2`));
    const y = transpose(reshape(lin(z, p, `${tt}.proj_out`), [T, h, w, C]), [0, 3, 1, 2]);
    return { out: add(y, x), cache: newCache };
  });
}
