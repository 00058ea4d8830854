import { describe, expect, it } from 'vitest';
import { depthNetSize, roundHalfEven } from '../../../../src/model/depth/preprocess.ts';
import { bicubicTaps, bilinearAlignCornersTaps, resampleHwc } from '../../../../src/model/depth/resample.ts';

describe('depth pre-processing', () => {
  it('rounds halves to even like Python round()', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });

  it('net size: the spec example 480×832 → 518×896, and our stream size 368×640 → 518×896', () => {
    expect(depthNetSize(480, 832, 518)).toEqual([518, 896]);
    expect(depthNetSize(368, 640, 518)).toEqual([518, 896]);
  });

  it('net size: frames wider than 1.78:1 shrink the target first (int(518·1.777/ratio), snapped to 14)', () => {
    // 1280/368 = 3.478: int(264.66) = 264 → round(18.86)·14 = 266; scale 266/368 → 266 × round(66.09)·14 = 924.
    expect(depthNetSize(368, 1280, 518)).toEqual([266, 924]);
  });

  it('net size: rounding below the target falls back to ceil', () => {
    // 100×100 at 56: scale 0.56 → 56/14 = 4 exactly; 57×100 → scale 0.982, 98.2/14 = 7.01 → 98, 56/14 = 4 → 56.
    expect(depthNetSize(100, 100, 56)).toEqual([56, 56]);
    expect(depthNetSize(57, 100, 56)).toEqual([56, 98]);
  });

  it('bicubic taps at equal size are the identity, and resampling keeps a constant image constant', () => {
    const img = Float32Array.from({ length: 5 * 7 * 2 }, (_, i) => (i * 37) % 11);
    expect(resampleHwc(img, 5, 7, 2, bicubicTaps(5, 5), bicubicTaps(7, 7))).toEqual(img);
    const flat = new Float32Array(4 * 4).fill(0.25);
    const up = resampleHwc(flat, 4, 4, 1, bicubicTaps(4, 9), bicubicTaps(4, 6));
    for (const v of up) expect(v).toBeCloseTo(0.25, 6);
  });

  it('bilinear align_corners=True maps the corners exactly and the middle linearly', () => {
    const t = bilinearAlignCornersTaps(3, 5); // sources 0, 0.5, 1, 1.5, 2
    const row = resampleHwc(Float32Array.from([0, 10, 20]), 1, 3, 1, bilinearAlignCornersTaps(1, 1), t);
    expect(Array.from(row)).toEqual([0, 5, 10, 15, 20]);
  });
});
