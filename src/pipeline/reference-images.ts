/**
 * Reference images (R2V refs and extension first/last frames) prepared as scope's
 * `load_and_prepare_reference_images` does: RGB u8 → (u8/255 − 0.5)/0.5 in float32, then, if
 * the size differs from the target, scaled to COVER the target with PyTorch's bilinear resize
 * (align_corners=False, no antialias) and centre-cropped. `sharp` is not used for the resize:
 * its kernels work on u8 and differ from torch's float bilinear; it only decodes files.
 */
import sharp from 'sharp';
import { f32, type F32Tensor } from '../model/tensor.ts';

/** One packed RGB24 image, row-major (`data[(y·W + x)·3 + c]`); an `RgbFrames` with count 1 fits. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function assertRgbImage(img: RgbImage, what: string): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new RangeError(`${what}: invalid image size ${img.width}×${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`${what}: ${img.data.length} bytes, an RGB image of ${img.width}×${img.height} needs ${img.width * img.height * 3}`);
  }
}

/** Decodes an image file or buffer (PNG, JPEG, WebP, …) to RGB24; alpha is dropped like PIL's `convert("RGB")`. */
export async function decodeReferenceImage(source: string | Uint8Array): Promise<RgbImage> {
  const what = typeof source === 'string' ? source : `${source.length}-byte image buffer`;
  try {
    const { data, info } = await sharp(source).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    throw new Error(`cannot decode reference image ${what}: ${(e as Error).message}`);
  }
}

/** RGB u8 HWC → planar float32 [3, H·W] in [−1, 1], rounding like torch (to_tensor's /255, then −0.5, /0.5). */
function normalizedPlanes(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[c * n + i] = Math.fround(Math.fround(Math.fround(img.data[i * 3 + c]! / 255) - 0.5) / 0.5);
  }
  return out;
}

interface LinearTaps {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

/** torch `compute_indices_weights_linear` for align_corners=False: src = max(scale·(dst + 0.5) − 0.5, 0), float32. */
function linearTaps(inSize: number, outSize: number): LinearTaps {
  const scale = Math.fround(inSize / outSize);
  const taps: LinearTaps = { i0: new Int32Array(outSize), i1: new Int32Array(outSize), w0: new Float32Array(outSize), w1: new Float32Array(outSize) };
  for (let d = 0; d < outSize; d++) {
    const src = Math.max(Math.fround(Math.fround(scale * Math.fround(d + 0.5)) - 0.5), 0);
    const i0 = Math.trunc(src);
    const lambda1 = Math.fround(src - i0);
    taps.i0[d] = i0;
    taps.i1[d] = i0 < inSize - 1 ? i0 + 1 : i0;
    taps.w1[d] = lambda1;
    taps.w0[d] = Math.fround(1 - lambda1);
  }
  return taps;
}

/** Bilinear resize of planar float32 [C, inH·inW] → [C, outH·outW] as torch `F.interpolate(mode="bilinear", align_corners=False)` on CPU. */
export function resizeBilinearPlanar(src: Float32Array, channels: number, inH: number, inW: number, outH: number, outW: number): Float32Array {
  if (src.length !== channels * inH * inW) throw new RangeError(`bilinear resize: ${src.length} values do not make [${channels}, ${inH}, ${inW}]`);
  const ty = linearTaps(inH, outH);
  const tx = linearTaps(inW, outW);
  const out = new Float32Array(channels * outH * outW);
  const f = Math.fround;
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    for (let y = 0; y < outH; y++) {
      const r0 = plane + ty.i0[y]! * inW;
      const r1 = plane + ty.i1[y]! * inW;
      for (let x = 0; x < outW; x++) {
        const a = tx.i0[x]!;
        const b = tx.i1[x]!;
        const top = f(f(src[r0 + a]! * tx.w0[x]!) + f(src[r0 + b]! * tx.w1[x]!));
        const bottom = f(f(src[r1 + a]! * tx.w0[x]!) + f(src[r1 + b]! * tx.w1[x]!));
        out[(c * outH + y) * outW + x] = f(f(top * ty.w0[y]!) + f(bottom * ty.w1[y]!));
      }
    }
  }
  return out;
}

/** Size the image is scaled to before the centre crop: scale = max(H/h, W/w), int(h·scale) × int(w·scale). */
export function coverSize(srcH: number, srcW: number, height: number, width: number): { height: number; width: number } {
  const scale = Math.max(height / srcH, width / srcW);
  // Upstream truncates; a product like 3·(360/3) can land a hair under the target in floating
  // point, which would crop fewer rows than asked for, so never go below the target.
  return { height: Math.max(Math.trunc(srcH * scale), height), width: Math.max(Math.trunc(srcW * scale), width) };
}

/** A reference image as the VAE sees it: [3, 1, height, width] float32 in [−1, 1]. */
export function prepareReferenceImage(img: RgbImage, height: number, width: number, what = 'reference image'): F32Tensor {
  assertRgbImage(img, what);
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0) {
    throw new RangeError(`${what}: invalid target size ${width}×${height}`);
  }
  const planes = normalizedPlanes(img);
  if (img.height === height && img.width === width) return f32([3, 1, height, width], planes);
  const cover = coverSize(img.height, img.width, height, width);
  const resized = resizeBilinearPlanar(planes, 3, img.height, img.width, cover.height, cover.width);
  const top = Math.floor((cover.height - height) / 2);
  const left = Math.floor((cover.width - width) / 2);
  const out = f32([3, 1, height, width]);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      const from = (c * cover.height + top + y) * cover.width + left;
      out.data.set(resized.subarray(from, from + width), (c * height + y) * width);
    }
  }
  return out;
}
