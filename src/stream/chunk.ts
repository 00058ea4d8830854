/** Packing single frames into one chunk buffer and unpacking a chunk back into frames. */
import type { RgbFrames } from '../frames.ts';
import { allocRgbFrames, assertFrameSize } from '../frames.ts';
import type { TimedFrame } from './types.ts';

/** Copies `frames` (each count=1, all the same size) into one RgbFrames of count = frames.length. */
export function packChunk(frames: readonly TimedFrame[]): RgbFrames {
  if (frames.length === 0) throw new Error('packChunk: no frames');
  const { width, height } = frames[0].frame;
  const out = allocRgbFrames(width, height, frames.length);
  const size = width * height * 3;
  frames.forEach((f, i) => {
    if (f.frame.width !== width || f.frame.height !== height || f.frame.count !== 1) {
      throw new Error(`packChunk: frame ${i} is ${f.frame.width}×${f.frame.height}×${f.frame.count}, chunk is ${width}×${height}`);
    }
    out.data.set(f.frame.data.subarray(0, size), i * size);
  });
  return out;
}

/**
 * Splits a generated chunk into single frames. Output frame i inherits the capture time and
 * sequence number of the input frame at the same relative position (the generator may return
 * a different count than it was given), so latency is measured against the right camera frame.
 */
export function unpackChunk(chunk: RgbFrames, sources: readonly TimedFrame[]): TimedFrame[] {
  assertFrameSize(chunk);
  if (sources.length === 0) throw new Error('unpackChunk: no source frames');
  const size = chunk.width * chunk.height * 3;
  const out: TimedFrame[] = [];
  for (let i = 0; i < chunk.count; i++) {
    const j = chunk.count === 1 ? sources.length - 1 : Math.round((i * (sources.length - 1)) / (chunk.count - 1));
    const src = sources[j];
    out.push({
      frame: { width: chunk.width, height: chunk.height, count: 1, data: chunk.data.subarray(i * size, (i + 1) * size) },
      capturedAt: src.capturedAt,
      seq: src.seq,
    });
  }
  return out;
}
