import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { coverSize, decodeReferenceImage, prepareReferenceImage, resizeBilinearPlanar } from '../../../src/pipeline/reference-images.ts';

describe('resizeBilinearPlanar', () => {
  it('2×2 → 4×4 gives torch bilinear (align_corners=False) values', () => {
    const out = resizeBilinearPlanar(Float32Array.from([0, 1, 2, 3]), 1, 2, 2, 4, 4);
    expect([...out]).toEqual([0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('same size is the identity', () => {
    const src = Float32Array.from({ length: 12 }, (_, i) => i * 0.1);
    expect([...resizeBilinearPlanar(src, 1, 3, 4, 3, 4)]).toEqual([...src]);
  });
});

describe('coverSize', () => {
  it('scales to cover the target, keeping the aspect ratio', () => {
    expect(coverSize(40, 40, 32, 48)).toEqual({ height: 48, width: 48 });
    expect(coverSize(720, 1280, 360, 640)).toEqual({ height: 360, width: 640 });
  });

  it('never lands under the target through floating-point truncation', () => {
    for (let s = 1; s < 200; s++) {
      const c = coverSize(s, 3 * s, 360, 640);
      expect(c.height).toBeGreaterThanOrEqual(360);
      expect(c.width).toBeGreaterThanOrEqual(640);
    }
  });
});

describe('prepareReferenceImage', () => {
  it('normalises u8 to [−1, 1] as [3, 1, H, W]', () => {
    const img = { width: 2, height: 1, data: Uint8Array.from([0, 128, 255, 255, 0, 0]) };
    const t = prepareReferenceImage(img, 1, 2);
    expect([...t.shape]).toEqual([3, 1, 1, 2]);
    expect(t.data[0]).toBe(-1);
    expect(t.data[1]).toBe(1);
    expect(t.data[2]).toBeCloseTo(128 / 127.5 - 1, 6);
  });

  it('centre-crops the covering resize: a tall image keeps its middle rows', () => {
    // 4×8 (w×h), rows 0–1 black, rows 2–5 white, rows 6–7 black; target 4×4 → middle four rows only.
    const data = new Uint8Array(4 * 8 * 3);
    for (let y = 2; y < 6; y++) data.fill(255, y * 12, (y + 1) * 12);
    const t = prepareReferenceImage({ width: 4, height: 8, data }, 4, 4);
    expect(t.data.every((v) => v === 1)).toBe(true);
  });
});

describe('decodeReferenceImage', () => {
  it('decodes PNG to RGB, dropping alpha', async () => {
    const rgba = Uint8Array.from([10, 20, 30, 0, 40, 50, 60, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } }).png().toBuffer();
    const img = await decodeReferenceImage(png);
    expect([img.width, img.height, ...img.data]).toEqual([2, 1, 10, 20, 30, 40, 50, 60]);
  });

  it('expands grayscale to three channels', async () => {
    const png = await sharp(Uint8Array.from([7, 200]), { raw: { width: 2, height: 1, channels: 1 } }).png().toBuffer();
    const img = await decodeReferenceImage(png);
    expect([...img.data]).toEqual([7, 7, 7, 200, 200, 200]);
  });

  it('names the source when decoding fails', async () => {
    await expect(decodeReferenceImage('/nonexistent/ref.png')).rejects.toThrow(/cannot decode reference image \/nonexistent\/ref.png/);
  });
});
