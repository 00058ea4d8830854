/**
 * Mask batches (MaskFrames from src/frames.ts) and the gray that marks missing pixels.
 */
import type { MaskFrames, RgbFrames } from '../../src/frames.ts';

/**
 * The u8 gray VACE uses for "missing" pixels (UserGuide: "Gray areas (values equal to 127)
 * represent missing video part"). Upstream annotators are not consistent — PIL's 'gray' (128) in
 * OutpaintingAnnotator, 128 in InpaintingAnnotator, 127.5 in FrameRefExpandAnnotator, zeros in
 * [−1, 1] in scope's extension mode — so every maker takes a `fill` option; 127 is the default.
 */
export const MISSING_GRAY = 127;

export function allocMaskFrames(width: number, height: number, count: number, value = 0): MaskFrames {
  const data = new Float32Array(width * height * count);
  if (value !== 0) data.fill(value);
  return { width, height, count, data };
}

export function assertMaskMatches(mask: MaskFrames, frames: RgbFrames, what: string): void {
  if (mask.width !== frames.width || mask.height !== frames.height || mask.count !== frames.count) {
    throw new Error(
      `${what}: mask is ${mask.width}×${mask.height}×${mask.count}, frames are ${frames.width}×${frames.height}×${frames.count}`,
    );
  }
  if (mask.data.length !== mask.width * mask.height * mask.count) {
    throw new Error(`${what}: mask buffer has ${mask.data.length} values, ${mask.width}×${mask.height}×${mask.count} need ${mask.width * mask.height * mask.count}`);
  }
}

/** Checks a u8 fill value given by a user. */
export function checkFill(fill: number, what: string): number {
  if (!Number.isInteger(fill) || fill < 0 || fill > 255) throw new Error(`${what}: fill must be an integer 0–255, got ${fill}`);
  return fill;
}
