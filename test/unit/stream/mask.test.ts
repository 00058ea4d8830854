import { describe, expect, it } from 'vitest';
import { buildMask, dimOutsideMask, maskRegion } from '../../../src/stream/mask.ts';

describe('maskRegion', () => {
  it('is undefined without a mask', () => {
    expect(maskRegion({ mask: null }, 8, 4)).toBeUndefined();
  });

  it('rounds outwards to whole pixels and clamps at the frame edge', () => {
    expect(maskRegion({ mask: { x: 0.25, y: 0.5, width: 0.5, height: 0.5 } }, 8, 4)).toEqual({ x0: 2, y0: 2, x1: 6, y1: 4 });
    expect(maskRegion({ mask: { x: 0.3, y: 0.125, width: 0.25, height: 0.25 } }, 10, 8)).toEqual({ x0: 3, y0: 1, x1: 6, y1: 3 });
    expect(maskRegion({ mask: { x: 0.5, y: 0, width: 0.5 + 1e-7, height: 1 } }, 4, 2)).toEqual({ x0: 2, y0: 0, x1: 4, y1: 2 });
  });
});

describe('buildMask', () => {
  it('is undefined (all ones) without a mask', () => {
    expect(buildMask({ mask: null }, 8, 4, 2)).toBeUndefined();
  });

  it('is 1 inside the rectangle and 0 outside, in every frame', () => {
    const m = buildMask({ mask: { x: 0.25, y: 0.5, width: 0.5, height: 0.5 } }, 8, 4, 2)!;
    expect(m).toMatchObject({ width: 8, height: 4, count: 2 });
    expect(m.data.length).toBe(8 * 4 * 2);
    const at = (f: number, x: number, y: number) => m.data[(f * 4 + y) * 8 + x];
    for (const f of [0, 1]) {
      expect(at(f, 2, 2)).toBe(1);
      expect(at(f, 5, 3)).toBe(1);
      expect(at(f, 1, 2)).toBe(0);
      expect(at(f, 6, 3)).toBe(0);
      expect(at(f, 3, 1)).toBe(0);
      expect(at(f, 0, 0)).toBe(0);
    }
    // 4 columns × 2 rows per frame.
    expect(m.data.reduce((a, b) => a + b, 0)).toBe(16);
  });
});

describe('dimOutsideMask', () => {
  it('halves pixels outside the region and leaves the inside alone', () => {
    const width = 4;
    const height = 2;
    const data = new Uint8Array(width * height * 3).fill(200);
    data[0] = 255;
    data[1] = 101;
    data[2] = 3;
    const frames = { width, height, count: 1, data };
    const mask = buildMask({ mask: { x: 0.5, y: 0, width: 0.5, height: 1 } }, width, height, 1)!;
    dimOutsideMask(frames, mask);
    // Pixel (0, 0) is outside: each channel shifted right by one.
    expect([...data.subarray(0, 3)]).toEqual([127, 50, 1]);
    // Pixel (1, 1) outside, (2, 0) and (3, 1) inside.
    const px = (x: number, y: number) => [...data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
    expect(px(1, 1)).toEqual([100, 100, 100]);
    expect(px(2, 0)).toEqual([200, 200, 200]);
    expect(px(3, 1)).toEqual([200, 200, 200]);
  });
});
