/**
 * Depth pre-processing as scope's infer_video_depth_one does it: u8/255, a "lower bound" resize
 * keeping the aspect ratio to sides that are multiples of 14 (with upstream's rounding), torch
 * bicubic (align_corners=False, no antialias, no clamping), ImageNet mean/std, HWC → CHW.
 */
import type { RgbFrames } from '../../frames.ts';
import { f32, type F32Tensor } from '../tensor.ts';
import { bicubicTaps, resampleHwc } from './resample.ts';

export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** Python's round(): halves go to the even neighbour (numpy's np.round does the same). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Net input size [h, w] for a frame of H×W (upstream Resize, keep_aspect_ratio, lower_bound). */
export function depthNetSize(frameH: number, frameW: number, inputSize: number, multiple = 14): [number, number] {
  if (!(frameH > 0 && frameW > 0)) throw new Error(`depth: invalid frame size ${frameH}×${frameW}`);
  let target = inputSize;
  const ratio = Math.max(frameH, frameW) / Math.min(frameH, frameW);
  // Upstream shrinks the target for frames wider than 16:9 (memory), then snaps it to 14.
  if (ratio > 1.78) target = roundHalfEven(Math.trunc((inputSize * 1.777) / ratio) / 14) * 14;
  const scale = Math.max(target / frameH, target / frameW);
  const side = (s: number) => {
    let y = roundHalfEven((s * scale) / multiple) * multiple;
    if (y < target) y = Math.ceil((s * scale) / multiple) * multiple;
    return y;
  };
  return [side(frameH), side(frameW)];
}

/** [T, 3, h, w] network input for every frame of a chunk. */
export function depthNetInput(frames: RgbFrames, netH: number, netW: number): F32Tensor {
  const { width: W, height: H, count: T } = frames;
  const ty = bicubicTaps(H, netH);
  const tx = bicubicTaps(W, netW);
  const plane = netH * netW;
  const out = new Float32Array(T * 3 * plane);
  const unit = new Float32Array(H * W * 3);
  for (let t = 0; t < T; t++) {
    const src = frames.data.subarray(t * H * W * 3, (t + 1) * H * W * 3);
    for (let i = 0; i < unit.length; i++) unit[i] = src[i]! / 255;
    // Upstream resizes in float32 and normalises in float64 (numpy promotes against the mean list).
    const resized = resampleHwc(unit, H, W, 3, ty, tx);
    const base = t * 3 * plane;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) out[base + c * plane + p] = (Math.fround(resized[p * 3 + c]!) - IMAGENET_MEAN[c]!) / IMAGENET_STD[c]!;
    }
  }
  return f32([T, 3, netH, netW], out);
}
