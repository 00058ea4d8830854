/**
 * uint8 RGB frames (src/frames.ts, packed frame-major HWC) ↔ normalised channel-first
 * tensors [3, F, H, W] in [−1, 1], the TAE's pixel layout. One pass over the batch, one
 * output allocation per batch (or none, when the caller passes a buffer to reuse).
 */
import { allocRgbFrames, assertFrameSize, type RgbFrames } from '../../frames.ts';
import { f32, type F32Tensor } from '../tensor.ts';

/**
 * u8 → [−1, 1] as scope's preprocess_chunk computes it in float32: v / 255 · 2 − 1, each step
 * rounded to float32 (a table, so the result is bit-identical and the loop has no arithmetic).
 */
const U8_TO_SIGNED = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = Math.fround(Math.fround(Math.fround(v / 255) * 2) - 1);
  return t;
})();

export function rgbFramesToTensor(frames: RgbFrames, out?: F32Tensor): F32Tensor {
  assertFrameSize(frames);
  const { width, height, count, data } = frames;
  const plane = width * height;
  const shape = [3, count, height, width];
  if (out && out.shape.join() !== shape.join()) throw new Error(`rgbFramesToTensor: output is [${out.shape.join(', ')}], frames need [${shape.join(', ')}]`);
  const t = out ?? f32(shape);
  const dst = t.data;
  const channelStride = count * plane;
  for (let f = 0; f < count; f++) {
    const src = f * plane * 3;
    const base = f * plane;
    for (let p = 0; p < plane; p++) {
      const s = src + 3 * p;
      dst[base + p] = U8_TO_SIGNED[data[s]!]!;
      dst[channelStride + base + p] = U8_TO_SIGNED[data[s + 1]!]!;
      dst[2 * channelStride + base + p] = U8_TO_SIGNED[data[s + 2]!]!;
    }
  }
  return t;
}

/**
 * [3, F, H, W] in [−1, 1] → uint8 RGB, the way scope hands frames out: x / 2 + 0.5 clamped
 * to [0, 1] (postprocess_chunk), then ·255 cast to uint8, which truncates (its frame queue).
 */
export function tensorToRgbFrames(t: F32Tensor, out?: RgbFrames): RgbFrames {
  const s = t.shape;
  if (s.length !== 4 || s[0] !== 3) throw new Error(`tensorToRgbFrames: expected [3, F, H, W], got [${s.join(', ')}]`);
  const [, count, height, width] = s as [number, number, number, number];
  if (out && (out.width !== width || out.height !== height || out.count !== count)) {
    throw new Error(`tensorToRgbFrames: output holds ${out.count} frames of ${out.width}×${out.height}, the tensor ${count} of ${width}×${height}`);
  }
  const frames = out ?? allocRgbFrames(width, height, count);
  const dst = frames.data;
  const src = t.data;
  const plane = width * height;
  const channelStride = count * plane;
  for (let f = 0; f < count; f++) {
    const base = f * plane;
    for (let p = 0; p < plane; p++) {
      const d = (base + p) * 3;
      for (let c = 0; c < 3; c++) {
        const u = Math.fround(Math.fround(src[c * channelStride + base + p]! / 2) + 0.5);
        const unit = u > 1 ? 1 : u >= 0 ? u : 0; // NaN → 0
        dst[d + c] = Math.fround(unit * 255); // Uint8Array stores truncate toward zero
      }
    }
  }
  return frames;
}
