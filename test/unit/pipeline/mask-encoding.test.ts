import { describe, expect, it } from 'vitest';
import { f32 } from '../../../src/model/tensor.ts';
import { encodeMaskChannels, latentFrameCount, nearestExactIndices } from '../../../src/pipeline/mask-encoding.ts';

describe('nearestExactIndices', () => {
  it('12 → 3 picks pixel frames 2, 6, 10 (not 0, 4, 8)', () => {
    expect(nearestExactIndices(12, 3)).toEqual([2, 6, 10]);
  });

  it('13 → 4 (first chunk) picks 1, 4, 8, 11', () => {
    expect(nearestExactIndices(13, 4)).toEqual([1, 4, 8, 11]);
  });

  it('never indexes past the input and rejects bad sizes', () => {
    expect(nearestExactIndices(1, 3)).toEqual([0, 0, 0]);
    expect(() => nearestExactIndices(0, 3)).toThrow(/positive integer/);
  });
});

describe('latentFrameCount', () => {
  it('is ⌊(F + 3)/4⌋ for the Wan stride', () => {
    expect([1, 4, 5, 12, 13].map((f) => latentFrameCount(f, 4))).toEqual([1, 1, 2, 3, 4]);
  });
});

describe('encodeMaskChannels', () => {
  it('channel = 8·dy + dx, latent pixel (y, x) reads pixel (8y + dy, 8x + dx) of the sampled frame', () => {
    const [F, H, W] = [12, 16, 32];
    // value encodes (frame, row, col) so every read can be checked
    const mask = f32([1, F, H, W]);
    for (let f = 0; f < F; f++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) mask.data[(f * H + y) * W + x] = f * 10000 + y * 100 + x;
    const out = encodeMaskChannels(mask);
    expect([...out.shape]).toEqual([64, 3, 2, 4]);
    const frames = [2, 6, 10];
    for (const [dy, dx, t, y, x] of [[0, 0, 0, 0, 0], [3, 5, 1, 1, 2], [7, 7, 2, 1, 3], [1, 6, 0, 0, 3]] as const) {
      const got = out.data[(((dy * 8 + dx) * 3 + t) * 2 + y) * 4 + x];
      expect(got).toBe(frames[t]! * 10000 + (8 * y + dy) * 100 + (8 * x + dx));
    }
  });

  it('rejects a mask that is not [1, F, H, W] or not a multiple of 16', () => {
    expect(() => encodeMaskChannels(f32([2, 4, 16, 16]))).toThrow(/\[1, F, H, W\]/);
    expect(() => encodeMaskChannels(f32([1, 4, 24, 16]))).toThrow(/multiples of 16/);
  });
});
