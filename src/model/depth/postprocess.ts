/**
 * Depth post-processing (scope's VideoDepthAnythingPipeline): resize each frame's depth to the
 * frame size (bilinear, align_corners=True), normalise with a range, repeat to RGB, and the
 * server's float → uint8 cast, which truncates.
 */
import { f32, type F32Tensor } from '../tensor.ts';
import { bilinearAlignCornersTaps, resampleHwc } from './resample.ts';

/** [T, h, w] → [T, H, W]. */
export function depthToFrameSize(depth: F32Tensor, H: number, W: number): F32Tensor {
  const [T, h, w] = depth.shape as [number, number, number];
  const ty = bilinearAlignCornersTaps(h, H);
  const tx = bilinearAlignCornersTaps(w, W);
  const out = new Float32Array(T * H * W);
  for (let t = 0; t < T; t++) out.set(resampleHwc(depth.data.subarray(t * h * w, (t + 1) * h * w), h, w, 1, ty, tx), t * H * W);
  return f32([T, H, W], out);
}

export interface DepthRange {
  readonly min: number;
  readonly max: number;
}

export function depthRange(d: ArrayLike<number>): DepthRange {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/**
 * (d − min)/(max − min) in float32 like torch, clamped to [0, 1] (values outside a held range
 * saturate; with the chunk's own range nothing is clamped). A degenerate range gives zeros.
 */
export function normaliseDepth(d: Float32Array, range: DepthRange): Float32Array {
  const out = new Float32Array(d.length);
  const span = Math.fround(range.max - range.min);
  if (!(span > 0)) return out;
  const lo = Math.fround(range.min);
  for (let i = 0; i < d.length; i++) out[i] = Math.min(1, Math.max(0, Math.fround(Math.fround(d[i]! - lo) / span)));
  return out;
}

/** Normalised [T·H·W] → T,H,W,3 floats (the pipeline's video). */
export function repeatToRgb(v: Float32Array): Float32Array {
  const out = new Float32Array(v.length * 3);
  for (let i = 0; i < v.length; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v[i]!;
  return out;
}

/** (v·255).clamp(0, 255) cast to uint8: truncation, not rounding. */
export function unitToU8Truncated(v: ArrayLike<number>, out = new Uint8Array(v.length)): Uint8Array {
  for (let i = 0; i < v.length; i++) out[i] = Math.min(255, Math.max(0, Math.trunc(Math.fround(v[i]! * 255))));
  return out;
}
