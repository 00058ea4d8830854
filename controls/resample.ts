/**
 * Bilinear resampling of packed-RGB frames into a rectangle of another buffer, with the index and
 * weight tables computed once per geometry and reused for every frame (no per-frame allocation).
 *
 * Pixel centres are aligned (`src = (dst + 0.5)·scale − 0.5`, clamped at the edges), as in OpenCV's
 * INTER_LINEAR and PyTorch's `align_corners=False`. Downscaling by more than 2× aliases; the uses
 * here (outpaint placement) shrink by at most ~2×.
 */

export interface CropRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export class BilinearResampler {
  readonly srcWidth: number;
  readonly srcHeight: number;
  readonly dstWidth: number;
  readonly dstHeight: number;
  readonly #x0: Int32Array;
  readonly #x1: Int32Array;
  readonly #wx: Float32Array;
  readonly #y0: Int32Array;
  readonly #y1: Int32Array;
  readonly #wy: Float32Array;

  /** Maps `crop` of a srcWidth×srcHeight frame onto dstWidth×dstHeight. */
  constructor(srcWidth: number, srcHeight: number, crop: CropRect, dstWidth: number, dstHeight: number) {
    if (crop.x < 0 || crop.y < 0 || crop.width <= 0 || crop.height <= 0 || crop.x + crop.width > srcWidth || crop.y + crop.height > srcHeight) {
      throw new Error(`resample: crop ${JSON.stringify(crop)} does not fit a ${srcWidth}×${srcHeight} frame`);
    }
    if (!(dstWidth > 0 && dstHeight > 0)) throw new Error(`resample: invalid target size ${dstWidth}×${dstHeight}`);
    this.srcWidth = srcWidth;
    this.srcHeight = srcHeight;
    this.dstWidth = dstWidth;
    this.dstHeight = dstHeight;
    [this.#x0, this.#x1, this.#wx] = axisTable(crop.x, crop.width, dstWidth);
    [this.#y0, this.#y1, this.#wy] = axisTable(crop.y, crop.height, dstHeight);
  }

  /**
   * Resamples the frame at byte `srcOffset` of `src` into `dst`, whose frame starts at byte
   * `dstOffset` and has rows of `dstStride` pixels; the result lands at pixel (`left`, `top`).
   */
  resampleInto(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, dstStride: number, left: number, top: number): void {
    const sw3 = this.srcWidth * 3;
    const x0 = this.#x0, x1 = this.#x1, wx = this.#wx;
    for (let y = 0; y < this.dstHeight; y++) {
      const r0 = srcOffset + this.#y0[y] * sw3;
      const r1 = srcOffset + this.#y1[y] * sw3;
      const fy = this.#wy[y];
      let o = dstOffset + ((top + y) * dstStride + left) * 3;
      for (let x = 0; x < this.dstWidth; x++, o += 3) {
        const a = x0[x] * 3, b = x1[x] * 3, fx = wx[x];
        for (let c = 0; c < 3; c++) {
          const top0 = src[r0 + a + c] + (src[r0 + b + c] - src[r0 + a + c]) * fx;
          const bot0 = src[r1 + a + c] + (src[r1 + b + c] - src[r1 + a + c]) * fx;
          // +0.5 then truncate: round half up; the value is already within [0, 255].
          dst[o + c] = (top0 + (bot0 - top0) * fy + 0.5) | 0;
        }
      }
    }
  }
}

function axisTable(start: number, length: number, out: number): [Int32Array, Int32Array, Float32Array] {
  const i0 = new Int32Array(out);
  const i1 = new Int32Array(out);
  const w = new Float32Array(out);
  const scale = length / out;
  for (let i = 0; i < out; i++) {
    let s = (i + 0.5) * scale - 0.5;
    if (s < 0) s = 0;
    if (s > length - 1) s = length - 1;
    const f = Math.floor(s);
    i0[i] = start + f;
    i1[i] = start + Math.min(f + 1, length - 1);
    w[i] = s - f;
  }
  return [i0, i1, w];
}

/** The centred crop of a W×H frame with the aspect ratio of targetW×targetH ("cover" fit). */
export function coverCrop(width: number, height: number, targetWidth: number, targetHeight: number): CropRect {
  // Compare width/height with targetWidth/targetHeight without division.
  if (width * targetHeight > height * targetWidth) {
    const w = Math.max(1, Math.round((height * targetWidth) / targetHeight));
    return { x: Math.floor((width - w) / 2), y: 0, width: w, height };
  }
  const h = Math.max(1, Math.round((width * targetHeight) / targetWidth));
  return { x: 0, y: Math.floor((height - h) / 2), width, height: h };
}
