/**
 * Frame batches (src/frames.ts, packed RGB24 frame-major) to the CFHW float tensors the VACE
 * context and the VAE take: RGB → [3, F, H, W] as u8/255·2 − 1 (scope's video preprocessing),
 * masks → [1, F, H, W] (same memory order, so the data is shared, not copied).
 */
import { assertFrameSize, type MaskFrames, type RgbFrames } from '../frames.ts';
import { f32, type F32Tensor } from '../model/tensor.ts';

export function rgbFramesToCFHW(frames: RgbFrames): F32Tensor {
  assertFrameSize(frames);
  const { width, height, count } = frames;
  const plane = width * height;
  const perChannel = count * plane;
  const out = f32([3, count, height, width]);
  const src = frames.data;
  for (let f = 0; f < count; f++) {
    for (let p = 0; p < plane; p++) {
      const i = (f * plane + p) * 3;
      const o = f * plane + p;
      for (let c = 0; c < 3; c++) out.data[c * perChannel + o] = Math.fround(Math.fround(src[i + c]! / 255) * 2 - 1);
    }
  }
  return out;
}

export function maskFramesToTensor(mask: MaskFrames): F32Tensor {
  const want = mask.width * mask.height * mask.count;
  if (mask.data.length !== want) {
    throw new RangeError(`mask buffer has ${mask.data.length} values, ${mask.count} masks of ${mask.width}×${mask.height} need ${want}`);
  }
  return f32([1, mask.count, mask.height, mask.width], mask.data);
}
