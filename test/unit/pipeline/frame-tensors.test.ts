import { describe, expect, it } from 'vitest';
import { maskFramesToTensor, rgbFramesToCFHW } from '../../../src/pipeline/frame-tensors.ts';

describe('rgbFramesToCFHW', () => {
  it('moves packed RGB frames to planar [3, F, H, W] in [−1, 1]', () => {
    // 2 frames of 2×1: frame 0 = (0,0,0) (255,255,255); frame 1 = (255,0,0) (0,255,0)
    const data = Uint8Array.from([0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 255, 0]);
    const t = rgbFramesToCFHW({ width: 2, height: 1, count: 2, data });
    expect([...t.shape]).toEqual([3, 2, 1, 2]);
    expect([...t.data]).toEqual([-1, 1, 1, -1, -1, 1, -1, 1, -1, 1, -1, -1]);
  });

  it('rejects a buffer of the wrong size', () => {
    expect(() => rgbFramesToCFHW({ width: 2, height: 2, count: 1, data: new Uint8Array(5) })).toThrow(/5 bytes/);
  });
});

describe('maskFramesToTensor', () => {
  it('shares the data as [1, F, H, W]', () => {
    const data = new Float32Array(12);
    const t = maskFramesToTensor({ width: 3, height: 2, count: 2, data });
    expect([...t.shape]).toEqual([1, 2, 2, 3]);
    expect(t.data).toBe(data);
    expect(() => maskFramesToTensor({ width: 3, height: 2, count: 3, data })).toThrow(/12 values/);
  });
});
