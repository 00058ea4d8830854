/**
 * The 64 mask channels of the VACE context (scope `vace_encode_masks`): the RAW (not
 * binarised) mask is folded space-to-depth over the VAE's spatial stride (8×8 → 64 channels,
 * channel = 8·dy + dx) and resampled in time to the latent frame count with PyTorch's
 * `nearest-exact` rule.
 */
import { f32, type F32Tensor } from '../model/tensor.ts';

export interface VaeStrides {
  /** Pixel frames per latent frame (4 for Wan VAE / TAEHV). */
  readonly temporal: number;
  /** Pixels per latent pixel along H and W (8). */
  readonly spatial: number;
}

export const WAN_VAE_STRIDES: VaeStrides = { temporal: 4, spatial: 8 };

/** Latent frames for `frames` pixel frames: ⌊(F + stride − 1) / stride⌋ (upstream `(depth + 3) // 4`). */
export function latentFrameCount(frames: number, temporalStride: number): number {
  return Math.floor((frames + temporalStride - 1) / temporalStride);
}

/**
 * Source indices of `F.interpolate(mode="nearest-exact")` from `inSize` to `outSize`:
 * min(⌊(i + 0.5)·scale⌋, inSize − 1) with scale = inSize/outSize, all in float32 as torch's
 * CPU kernel computes it. For 12 → 3 this picks 2, 6, 10 (not 0, 4, 8).
 */
export function nearestExactIndices(inSize: number, outSize: number): number[] {
  if (!Number.isInteger(inSize) || !Number.isInteger(outSize) || inSize < 1 || outSize < 1) {
    throw new RangeError(`nearest-exact resize needs positive integer sizes, got ${inSize} → ${outSize}`);
  }
  const scale = Math.fround(inSize / outSize);
  const out: number[] = [];
  for (let i = 0; i < outSize; i++) out.push(Math.min(Math.floor(Math.fround(Math.fround(i + 0.5) * scale)), inSize - 1));
  return out;
}

/**
 * mask [1, F, H, W] → [s², F', H/s, W/s] with channel = s·dy + dx and latent frame t taking
 * pixel frame nearestExact(t). H and W must be multiples of 2·s (upstream folds
 * 2·⌊H/(2s)⌋ rows and requires the view to fit exactly).
 */
export function encodeMaskChannels(mask: F32Tensor, strides: VaeStrides = WAN_VAE_STRIDES): F32Tensor {
  if (mask.shape.length !== 4 || mask.shape[0] !== 1) {
    throw new RangeError(`VACE mask must be [1, F, H, W], got [${mask.shape.join(', ')}]`);
  }
  const [, frames, height, width] = mask.shape as [number, number, number, number];
  const s = strides.spatial;
  if (height % (2 * s) !== 0 || width % (2 * s) !== 0) {
    throw new RangeError(`VACE mask size ${width}×${height}: width and height must be multiples of ${2 * s}`);
  }
  const h = height / s;
  const w = width / s;
  const outFrames = latentFrameCount(frames, strides.temporal);
  const src = nearestExactIndices(frames, outFrames);
  const out = f32([s * s, outFrames, h, w]);
  const data = mask.data;
  for (let dy = 0; dy < s; dy++) {
    for (let dx = 0; dx < s; dx++) {
      const channel = dy * s + dx;
      for (let t = 0; t < outFrames; t++) {
        const frameBase = src[t]! * height * width;
        const outBase = (channel * outFrames + t) * h * w;
        for (let y = 0; y < h; y++) {
          const rowBase = frameBase + (y * s + dy) * width + dx;
          for (let x = 0; x < w; x++) out.data[outBase + y * w + x] = data[rowBase + x * s]!;
        }
      }
    }
  }
  return out;
}
