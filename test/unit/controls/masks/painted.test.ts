import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { PaintedMaskSource } from '../../../../controls/masks/mask-source.ts';
import { allocMaskFrames } from '../../../../controls/masks/mask-frames.ts';
import { decodePaintedMask } from '../../../../controls/masks/painted.ts';

/** A PNG from raw pixels (channels 1 = grey, 4 = RGBA). */
function png(width: number, height: number, channels: 1 | 4, pixels: number[]): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width, height, channels } }).png().toBuffer();
}

describe('painted mask (PNG)', () => {
  it('maps grey levels to v/255 at the same size', async () => {
    const m = await decodePaintedMask(await png(2, 2, 1, [0, 255, 51, 204]), 2, 2);
    expect(Array.from(m)).toEqual([0, 1, 0.2, 0.8].map(Math.fround));
  });

  it('thresholds when asked (v/255 ≥ t → 1)', async () => {
    const m = await decodePaintedMask(await png(4, 1, 1, [0, 127, 128, 255]), 4, 1, { threshold: 0.5 });
    expect(Array.from(m)).toEqual([0, 0, 1, 1]);
  });

  it('resizes to the frame size (a 1×1 white PNG covers a 3×2 frame)', async () => {
    const m = await decodePaintedMask(await png(1, 1, 1, [255]), 3, 2);
    expect(Array.from(m)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('flattens transparency over black for luma, or reads alpha', async () => {
    // white opaque, white transparent, black opaque
    const img = await png(3, 1, 4, [255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255]);
    expect(Array.from(await decodePaintedMask(img, 3, 1))).toEqual([1, 0, 0]);
    expect(Array.from(await decodePaintedMask(img, 3, 1, { channel: 'alpha' }))).toEqual([1, 0, 1]);
  });

  it('a corrupt PNG gives a clear error; so does a non-PNG', async () => {
    const good = await png(4, 4, 1, new Array(16).fill(9));
    const corrupt = Buffer.concat([good.subarray(0, 33), Buffer.from('garbage garbage garbage')]);
    await expect(decodePaintedMask(corrupt, 4, 4)).rejects.toThrow(/painted mask PNG could not be decoded/);
    await expect(decodePaintedMask(Buffer.from('GIF89a....'), 4, 4)).rejects.toThrow(/painted mask: not a PNG/);
  });

  it('as a mask source: decoded once per size, replicated to every frame, retried after a failure', async () => {
    const src = new PaintedMaskSource(await png(2, 1, 1, [255, 0]));
    const mask = allocMaskFrames(2, 1, 3);
    await src.fill(mask);
    expect(Array.from(mask.data)).toEqual([1, 0, 1, 0, 1, 0]);
    const bad = new PaintedMaskSource(Buffer.from('nope'));
    await expect(bad.fill(allocMaskFrames(2, 1, 1))).rejects.toThrow(/not a PNG/);
    await expect(bad.prepare(2, 1)).rejects.toThrow(/not a PNG/);
  });
});
