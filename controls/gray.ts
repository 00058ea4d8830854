/**
 * Gray control: BT.601 luma replicated to R, G and B (VACE's GrayVideoAnnotator signal).
 *
 * Exact integer arithmetic, the same fixed point OpenCV's cvtColor uses for 8-bit input:
 *   Y = (4899·R + 9617·G + 1868·B + 8192) >> 14
 * i.e. 0.299/0.587/0.114 scaled by 2^14 (the three weights sum to exactly 16384, so white stays
 * 255 and black 0), rounded half up by the +8192 before the shift.
 *
 * Note: upstream calls cv2.cvtColor(rgb, COLOR_BGR2GRAY) on RGB frames, which swaps the R and B
 * weights. We compute true BT.601 luma of RGB input; pass `{ upstreamChannelSwap: true }` to
 * reproduce upstream's weighting bit for bit.
 */
import type { RgbFrames } from '../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../src/frames.ts';
import type { Control, ControlOutput } from './types.ts';

export const LUMA_R = 4899;
export const LUMA_G = 9617;
export const LUMA_B = 1868;
const LUMA_SHIFT = 14;
const LUMA_HALF = 1 << (LUMA_SHIFT - 1);

/** BT.601 luma of one 8-bit RGB pixel, integer exact (see the module comment). */
export function lumaBt601(r: number, g: number, b: number): number {
  return (LUMA_R * r + LUMA_G * g + LUMA_B * b + LUMA_HALF) >> LUMA_SHIFT;
}

export interface GrayOptions {
  /** Reproduce upstream's BGR2GRAY-on-RGB weighting (R and B weights swapped). */
  readonly upstreamChannelSwap?: boolean;
}

/** Writes the luma of every pixel of `src`, replicated to three channels, into `dst` (same size). */
export function grayInto(src: Uint8Array, dst: Uint8Array, upstreamChannelSwap = false): void {
  const wr = upstreamChannelSwap ? LUMA_B : LUMA_R;
  const wb = upstreamChannelSwap ? LUMA_R : LUMA_B;
  for (let i = 0; i < src.length; i += 3) {
    const y = (wr * src[i] + LUMA_G * src[i + 1] + wb * src[i + 2] + LUMA_HALF) >> LUMA_SHIFT;
    dst[i] = y;
    dst[i + 1] = y;
    dst[i + 2] = y;
  }
}

export class GrayControl implements Control {
  readonly id = 'gray';
  readonly needsWeights = false;
  readonly #swap: boolean;

  constructor(options: GrayOptions = {}) {
    this.#swap = options.upstreamChannelSwap ?? false;
  }

  process(frames: RgbFrames): ControlOutput {
    assertFrameSize(frames);
    // One allocation per chunk: a pipelined consumer may still hold the previous chunk's output.
    const out = allocRgbFrames(frames.width, frames.height, frames.count);
    grayInto(frames.data, out.data, this.#swap);
    return { frames: out };
  }

  reset(): void {}
}
