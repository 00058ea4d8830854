import { describe, expect, it } from 'vitest';
import type { RgbFrames } from '../../../src/frames.ts';
import { resizeCover } from '../../../src/stream/resize.ts';

function solid(width: number, height: number, count: number, rgb: (x: number, y: number, f: number) => [number, number, number]): RgbFrames {
  const data = new Uint8Array(width * height * 3 * count);
  for (let f = 0; f < count; f++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) data.set(rgb(x, y, f), ((f * height + y) * width + x) * 3);
  return { width, height, count, data };
}

describe('resizeCover', () => {
  it('returns the input unchanged when the size already fits', () => {
    const f = solid(8, 6, 1, () => [1, 2, 3]);
    expect(resizeCover(f, 8, 6)).toBe(f);
  });

  it('keeps flat colours exact and every frame separate', () => {
    const f = solid(64, 36, 2, (_x, _y, i) => (i === 0 ? [200, 10, 30] : [5, 250, 128]));
    const r = resizeCover(f, 16, 16);
    expect(r).toMatchObject({ width: 16, height: 16, count: 2 });
    expect([...r.data.subarray(0, 3)]).toEqual([200, 10, 30]);
    expect([...r.data.subarray(16 * 16 * 3, 16 * 16 * 3 + 3)]).toEqual([5, 250, 128]);
  });

  it('crops the sides of a wide frame to fill a square (cover, centred)', () => {
    // Left quarter red, right quarter blue, middle green: a centred square crop sees only green.
    const f = solid(64, 16, 1, (x) => (x < 16 ? [255, 0, 0] : x >= 48 ? [0, 0, 255] : [0, 255, 0]));
    const r = resizeCover(f, 8, 8);
    for (let i = 0; i < r.data.length; i += 3) expect([...r.data.subarray(i, i + 3)]).toEqual([0, 255, 0]);
  });

  it('interpolates a horizontal ramp monotonically', () => {
    const f = solid(100, 10, 1, (x) => [Math.round((x * 255) / 99), 0, 0]);
    const r = resizeCover(f, 10, 1);
    const reds = Array.from({ length: 10 }, (_, x) => r.data[x * 3]);
    for (let i = 1; i < reds.length; i++) expect(reds[i]).toBeGreaterThan(reds[i - 1]);
  });

  it('rejects a bad target size', () => {
    expect(() => resizeCover(solid(4, 4, 1, () => [0, 0, 0]), 0, 4)).toThrow(/positive integers/);
  });
});
