import { describe, expect, it } from 'vitest';
import { GrayControl, lumaBt601 } from '../../../controls/gray.ts';

function frames(width: number, height: number, pixels: number[][]) {
  return { width, height, count: pixels.length / (width * height), data: Uint8Array.from(pixels.flat()) };
}

describe('gray control', () => {
  it('maps primaries and extremes to the fixed-point BT.601 values', () => {
    // (4899·255 + 8192) >> 14 = 76, (9617·255 + 8192) >> 14 = 150, (1868·255 + 8192) >> 14 = 29
    expect(lumaBt601(255, 0, 0)).toBe(76);
    expect(lumaBt601(0, 255, 0)).toBe(150);
    expect(lumaBt601(0, 0, 255)).toBe(29);
    expect(lumaBt601(255, 255, 255)).toBe(255);
    expect(lumaBt601(0, 0, 0)).toBe(0);
    // 0.299·10 + 0.587·20 + 0.114·30 = 18.15 → 18 ; 0.299·200 + 0.587·100 + 0.114·50 = 124.2 → 124
    expect(lumaBt601(10, 20, 30)).toBe(18);
    expect(lumaBt601(200, 100, 50)).toBe(124);
  });

  it('replicates luma to RGB for every pixel of every frame, any size', () => {
    const input = frames(3, 1, [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 20, 30], [200, 100, 50], [255, 255, 255]]);
    const out = new GrayControl().process(input);
    expect(out.mask).toBeUndefined();
    expect(out.frames.width).toBe(3);
    expect(out.frames.height).toBe(1);
    expect(out.frames.count).toBe(2);
    expect(Array.from(out.frames.data)).toEqual([76, 76, 76, 150, 150, 150, 29, 29, 29, 18, 18, 18, 124, 124, 124, 255, 255, 255]);
    expect(input.data[0]).toBe(255); // input untouched
  });

  it('reproduces the upstream BGR2GRAY-on-RGB weighting when asked', () => {
    const out = new GrayControl({ upstreamChannelSwap: true }).process(frames(1, 1, [[255, 0, 0]]));
    expect(Array.from(out.frames.data)).toEqual([29, 29, 29]);
  });

  it('rejects a buffer that does not match the declared size', () => {
    expect(() => new GrayControl().process({ width: 2, height: 2, count: 1, data: new Uint8Array(5) })).toThrow(/5 bytes/);
  });
});
