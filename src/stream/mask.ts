/** Turning the mask rectangle / outpaint parameters into per-frame masks, and showing them in preview. */
import type { MaskFrames, RgbFrames } from '../frames.ts';
import type { SessionParams } from './params.ts';

interface PixelRect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The region to regenerate in pixels, or undefined when the whole frame is regenerated. */
export function maskRegion(params: Pick<SessionParams, 'mask' | 'outpaint'>, width: number, height: number): PixelRect | undefined {
  if (params.outpaint.direction !== 'none' && params.outpaint.amount > 0) {
    const a = params.outpaint.amount;
    switch (params.outpaint.direction) {
      case 'left':
        return { x0: 0, y0: 0, x1: Math.round(width * a), y1: height };
      case 'right':
        return { x0: width - Math.round(width * a), y0: 0, x1: width, y1: height };
      case 'up':
        return { x0: 0, y0: 0, x1: width, y1: Math.round(height * a) };
      case 'down':
        return { x0: 0, y0: height - Math.round(height * a), x1: width, y1: height };
    }
  }
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
export function buildMask(params: Pick<SessionParams, 'mask' | 'outpaint'>, width: number, height: number, count: number): MaskFrames | undefined {
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
