import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FittedImage } from '../../../controls/image-input.ts';
import type { RgbFrames } from '../../../src/frames.ts';

const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
// 4×2: left half red, right half blue.
const HALVES = [...RED, ...RED, ...BLUE, ...BLUE, ...RED, ...RED, ...BLUE, ...BLUE];
const raw = (pixels: number[], width: number, height: number, channels: 3 | 4 = 3) => sharp(Buffer.from(pixels), { raw: { width, height, channels } });
const bytes = (b: Buffer) => new Uint8Array(b);
const WHAT = 'extension first frame';

describe('FittedImage from encoded bytes', () => {
  it('decodes a PNG at its own size to exactly its pixels', async () => {
    const png = bytes(await raw(HALVES, 4, 2).png().toBuffer());
    expect(Array.from(await new FittedImage(png, WHAT).at(4, 2))).toEqual(HALVES);
  });

  it('fits to another size by scaling to cover and cropping the centre', async () => {
    const png = bytes(await raw(HALVES, 4, 2).png().toBuffer());
    // 2×2 from 4×2: scale 1, the centre two columns (one red, one blue).
    expect(Array.from(await new FittedImage(png, WHAT).at(2, 2))).toEqual([...RED, ...BLUE, ...RED, ...BLUE]);
    // 8×4 from 4×2: scale 2, nothing cropped; the outer columns keep their colour.
    const big = await new FittedImage(png, WHAT).at(8, 4);
    expect(big.length).toBe(8 * 4 * 3);
    expect(Array.from(big.subarray(0, 3))).toEqual(RED);
    expect(Array.from(big.subarray(7 * 3, 8 * 3))).toEqual(BLUE);
  });

  it('drops alpha, widens gray to RGB and narrows 16-bit samples to bytes', async () => {
    const rgba = bytes(await raw([10, 20, 30, 0, 40, 50, 60, 255], 2, 1, 4).png().toBuffer());
    expect(Array.from(await new FittedImage(rgba, WHAT).at(2, 1))).toEqual([10, 20, 30, 40, 50, 60]);
    const gray = bytes(await sharp(Buffer.from([0, 128]), { raw: { width: 2, height: 1, channels: 1 } }).png().toBuffer());
    expect(Array.from(await new FittedImage(gray, WHAT).at(2, 1))).toEqual([0, 0, 0, 128, 128, 128]);
    const deep = new Uint16Array([65535, 0, 0, 0, 0, 65535]);
    const png16 = bytes(await sharp(deep, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toBuffer());
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    expect(Array.from(await new FittedImage(png16, WHAT).at(2, 1))).toEqual([...RED, ...BLUE]);
  });

  it('decodes JPEG and WebP too (lossy: close to the colour)', async () => {
    const solid = Array.from({ length: 8 * 8 }, () => [200, 60, 30]).flat();
    for (const enc of [await raw(solid, 8, 8).jpeg({ quality: 95 }).toBuffer(), await raw(solid, 8, 8).webp({ quality: 95 }).toBuffer()]) {
      const out = await new FittedImage(bytes(enc), WHAT).at(4, 4);
      expect(out.length).toBe(4 * 4 * 3);
      out.forEach((v, i) => expect(Math.abs(v - solid[i % 3]!)).toBeLessThanOrEqual(8));
    }
  });

  it('refuses zero bytes at once', () => {
    expect(() => new FittedImage(new Uint8Array(0), WHAT)).toThrow('extension first frame: empty image');
  });

  it('a corrupt, truncated or non-image byte string gives a clear error naming the image', async () => {
    const png = await raw(HALVES, 4, 2).png().toBuffer();
    for (const bad of [png.subarray(0, png.length - 20), png.subarray(0, 40), Buffer.from('hello, not an image'), Buffer.from('\x89PNG\r\n\x1a\nbroken')]) {
      await expect(new FittedImage(bytes(bad), WHAT).at(4, 2)).rejects.toThrow(/^extension first frame: image could not be decoded: /);
    }
  });

  it('refuses image formats other than PNG, JPEG and WebP, naming the format', async () => {
    const svg = bytes(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="4" height="2" fill="red"/></svg>'));
    await expect(new FittedImage(svg, WHAT).at(4, 2)).rejects.toThrow('extension first frame: image could not be decoded: svg is not accepted, give PNG, JPEG or WebP');
    const gif = bytes(await raw(HALVES, 4, 2).gif().toBuffer());
    await expect(new FittedImage(gif, WHAT).at(4, 2)).rejects.toThrow(/gif is not accepted/);
  });

  it('decodes once per size: the same size gives the same result, a new size a new one', async () => {
    const img = new FittedImage(bytes(await raw(HALVES, 4, 2).png().toBuffer()), WHAT);
    const first = img.at(2, 2);
    expect(img.at(2, 2)).toBe(first);
    const other = img.at(4, 2);
    expect(other).not.toBe(first);
    expect(Array.from(await other)).toEqual(HALVES);
  });
});

describe('FittedImage from a decoded frame', () => {
  const frame = (width: number, height: number, pixels: number[], count = 1): RgbFrames => ({ width, height, count, data: Uint8Array.from(pixels) });

  it('gives a frame of the requested size back as it is', async () => {
    const f = frame(4, 2, HALVES);
    expect(await new FittedImage(f, WHAT).at(4, 2)).toBe(f.data);
  });

  it('fits a frame of another size with the same cover + centre crop', async () => {
    const out = await new FittedImage(frame(4, 2, HALVES), WHAT).at(2, 2);
    expect(Array.from(out)).toEqual([...RED, ...BLUE, ...RED, ...BLUE]);
  });

  it('refuses more than one frame, or a buffer that does not match its size', () => {
    expect(() => new FittedImage(frame(1, 1, [...RED, ...BLUE], 2), WHAT)).toThrow('extension first frame: expected one frame, got 2');
    expect(() => new FittedImage(frame(2, 2, RED), WHAT)).toThrow(/frame buffer has 3 bytes/);
  });
});
