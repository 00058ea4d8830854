/**
 * The live `mask` rectangle as per-frame masks, and showing a mask in preview. (The `outpaint`
 * parameter is a control, not a mask over the camera picture: see session-outpaint.ts.)
 */
import type { MaskFrames, RgbFrames } from '../frames.ts';
import type { SessionParams } from './params.ts';

interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The rectangle to regenerate in pixels, or undefined when the whole frame is regenerated. */
export function maskRegion(params: Pick<SessionParams, 'mask'>, width: number, height: number): PixelRect | undefined {
  const m = params.mask;
  if (!m) return undefined;
  return {
    x0: Math.floor(m.x * width),
    y0: Math.floor(m.y * height),
    x1: Math.min(width, Math.ceil((m.x + m.width) * width)),
    y1: Math.min(height, Math.ceil((m.y + m.height) * height)),
  };
}

/** Masks (1 = regenerate inside the region, 0 elsewhere) for `count` frames, or undefined for "all ones". */
export function buildMask(params: Pick<SessionParams, 'mask'>, width: number, height: number, count: number): MaskFrames | undefined {
  const r = maskRegion(params, width, height);
  if (!r) return undefined;
  const data = new Float32Array(width * height * count);
  for (let f = 0; f < count; f++) {
    for (let y = r.y0; y < r.y1; y++) data.fill(1, (f * height + y) * width + r.x0, (f * height + y) * width + r.x1);
  }
  return { width, height, count, data };
}

/** Preview of a mask: pixels outside the regenerated region are darkened to half, in place. */
export function dimOutsideMask(frames: RgbFrames, mask: MaskFrames): void {
  const px = frames.width * frames.height * frames.count;
  for (let i = 0; i < px; i++) {
    if (mask.data[i] < 0.5) {
      frames.data[i * 3] >>= 1;
      frames.data[i * 3 + 1] >>= 1;
      frames.data[i * 3 + 2] >>= 1;
    }
  }
}
