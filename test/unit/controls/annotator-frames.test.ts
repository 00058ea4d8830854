import { describe, expect, it } from 'vitest';
import { sliceFrames, writeGrayTruncated } from '../../../controls/annotator-frames.ts';
import type { RgbFrames } from '../../../src/frames.ts';

/** 3 frames of 2×2, every byte its own index (mod 256), so a slice's bytes show where they came from. */
const batch = (): RgbFrames => ({ width: 2, height: 2, count: 3, data: Uint8Array.from({ length: 36 }, (_, i) => i) });

describe('sliceFrames', () => {
  it('gives frames [start, end) with the batch size and a view of the same buffer', () => {
    const all = batch();
    const mid = sliceFrames(all, 1, 3);
    expect({ width: mid.width, height: mid.height, count: mid.count }).toEqual({ width: 2, height: 2, count: 2 });
    expect(Array.from(mid.data)).toEqual(Array.from({ length: 24 }, (_, i) => 12 + i));
    mid.data[0] = 200; // no copy: writes show in the batch
    expect(all.data[12]).toBe(200);
    expect(mid.data.buffer).toBe(all.data.buffer);
  });

  it('an empty range is zero frames', () => {
    const none = sliceFrames(batch(), 2, 2);
    expect(none.count).toBe(0);
    expect(none.data.length).toBe(0);
  });
});

describe('writeGrayTruncated', () => {
  it('writes v·255 truncated (not rounded) into all three channels of each pixel', () => {
    const dst = new Uint8Array(5 * 3);
    writeGrayTruncated(new Float32Array([0, 1, 0.5, 0.999, 1 / 255]), dst, 0);
    // 0.5·255 = 127.5 → 127; 0.999·255 = 254.7 → 254; float32(1/255) is a hair above 1/255 → 1.
    expect(Array.from(dst)).toEqual([0, 0, 0, 255, 255, 255, 127, 127, 127, 254, 254, 254, 1, 1, 1]);
  });

  it('clamps values outside [0, 1] to black and white', () => {
    const dst = new Uint8Array(4 * 3);
    writeGrayTruncated(new Float32Array([-0.3, 1.7, -Infinity, Infinity]), dst, 0);
    expect(Array.from(dst)).toEqual([0, 0, 0, 255, 255, 255, 0, 0, 0, 255, 255, 255]);
  });

  it('writes at the given byte offset and leaves the rest of the buffer alone', () => {
    const dst = new Uint8Array(4 * 3).fill(9);
    writeGrayTruncated(new Float32Array([1, 0]), dst, 6);
    expect(Array.from(dst)).toEqual([9, 9, 9, 9, 9, 9, 255, 255, 255, 0, 0, 0]);
  });
});
