import { describe, expect, it } from 'vitest';
import { allocRgbFrames } from '../../../../src/frames.ts';
import { rgbFramesToTensor, tensorToRgbFrames } from '../../../../src/model/tae/frames.ts';
import { f32 } from '../../../../src/model/tensor.ts';

describe('TAE frame conversion', () => {
  it('packs RGB frames channel-first in [−1, 1]', () => {
    const frames = allocRgbFrames(2, 1, 2);
    frames.data.set([0, 255, 51, 1, 2, 3, /* frame 1 */ 255, 0, 0, 9, 9, 9]);
    const t = rgbFramesToTensor(frames);
    expect(t.shape).toEqual([3, 2, 1, 2]);
    // channel 0 (R): frame 0 pixels, then frame 1 pixels
    expect(t.data[0]).toBe(-1);
    expect(t.data[2]).toBe(1);
    expect(t.data[4]).toBe(1); // G of frame 0, pixel 0 = 255
    expect(t.data[8]).toBeCloseTo((51 / 255) * 2 - 1, 6); // B of frame 0, pixel 0
  });

  it('round-trips every uint8 value to itself or one below (the output cast truncates)', () => {
    const frames = allocRgbFrames(256, 1, 1);
    for (let v = 0; v < 256; v++) frames.data.fill(v, 3 * v, 3 * v + 3);
    const back = tensorToRgbFrames(rgbFramesToTensor(frames));
    for (let i = 0; i < frames.data.length; i++) expect(frames.data[i]! - back.data[i]!).toBeGreaterThanOrEqual(0);
    for (let i = 0; i < frames.data.length; i++) expect(frames.data[i]! - back.data[i]!).toBeLessThanOrEqual(1);
    expect(back.data[0]).toBe(0);
    expect(back.data[255 * 3]).toBe(255);
  });

  it('clamps out-of-range and NaN values and truncates', () => {
    const t = f32([3, 1, 1, 4], [-3, 3, Number.NaN, 0.999, 0, 0, 0, 0, 0, 0, 0, 0]);
    const rgb = tensorToRgbFrames(t);
    expect([rgb.data[0], rgb.data[3], rgb.data[6], rgb.data[9]]).toEqual([0, 255, 0, 254]);
  });

  it('reuses a given output and rejects one of the wrong size', () => {
    const frames = allocRgbFrames(4, 2, 3);
    const out = f32([3, 3, 2, 4]);
    expect(rgbFramesToTensor(frames, out)).toBe(out);
    expect(() => rgbFramesToTensor(frames, f32([3, 2, 2, 4]))).toThrow(/output is \[3, 2, 2, 4\]/);
    expect(() => tensorToRgbFrames(out, allocRgbFrames(4, 2, 2))).toThrow(/output holds 2 frames/);
    expect(() => rgbFramesToTensor({ width: 4, height: 2, count: 3, data: new Uint8Array(5) })).toThrow(/frame buffer has 5 bytes/);
  });
});
