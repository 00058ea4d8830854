/** Frame helpers shared by the annotator controls (depth, scribble). */
import type { RgbFrames } from '../src/frames.ts';

/** Frames [start, end) of a batch, sharing its buffer. */
export function sliceFrames(frames: RgbFrames, start: number, end: number): RgbFrames {
  const size = frames.width * frames.height * 3;
  return { width: frames.width, height: frames.height, count: end - start, data: frames.data.subarray(start * size, end * size) };
}

/**
 * Unit-range values (one per pixel) → gray RGB bytes at `offset`, the way scope's server queues
 * them: (v·255).clamp(0, 255) cast to uint8, which truncates.
 */
export function writeGrayTruncated(v: Float32Array, dst: Uint8Array, offset: number): void {
  for (let i = 0; i < v.length; i++) {
    const b = Math.min(255, Math.max(0, Math.trunc(Math.fround(v[i]! * 255))));
    const o = offset + 3 * i;
    dst[o] = dst[o + 1] = dst[o + 2] = b;
  }
}
