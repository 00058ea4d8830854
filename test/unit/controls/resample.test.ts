import { describe, expect, it } from 'vitest';
import { BilinearResampler, coverCrop } from '../../../controls/resample.ts';

describe('bilinear resampler', () => {
  it('upsamples 2→4 with centre-aligned pixels and clamped edges', () => {
    // src = (i + 0.5)/2 − 0.5 → −0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
    const src = Uint8Array.from([0, 0, 0, 200, 100, 40]);
    const dst = new Uint8Array(4 * 3);
    new BilinearResampler(2, 1, { x: 0, y: 0, width: 2, height: 1 }, 4, 1).resampleInto(src, 0, dst, 0, 4, 0, 0);
    expect(Array.from(dst)).toEqual([0, 0, 0, 50, 25, 10, 150, 75, 30, 200, 100, 40]);
  });

  it('writes into a rectangle of a larger canvas at an offset and leaves the rest alone', () => {
    const src = Uint8Array.from([10, 20, 30, 40, 50, 60]); // 1×2 column
    const dst = new Uint8Array(3 * 2 * 3).fill(7);
    new BilinearResampler(1, 2, { x: 0, y: 0, width: 1, height: 2 }, 1, 2).resampleInto(src, 0, dst, 0, 3, 2, 0);
    expect(Array.from(dst)).toEqual([7, 7, 7, 7, 7, 7, 10, 20, 30, 7, 7, 7, 7, 7, 7, 40, 50, 60]);
  });

  it('cover crop takes the centred region with the target aspect', () => {
    // (640 − 427) / 2 = 106.5 → 106
    expect(coverCrop(640, 368, 427, 368)).toEqual({ x: 106, y: 0, width: 427, height: 368 });
    expect(coverCrop(100, 100, 50, 25)).toEqual({ x: 0, y: 25, width: 100, height: 50 });
  });
});
