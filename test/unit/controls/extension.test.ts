import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ExtensionControl } from '../../../controls/extension.ts';
import { GrayControl } from '../../../controls/gray.ts';
import { InpaintControl } from '../../../controls/masks/inpaint.ts';
import { RectMaskSource } from '../../../controls/masks/mask-source.ts';

function solid(width: number, height: number, count: number, rgb: [number, number, number]) {
  const data = new Uint8Array(width * height * count * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width, height, count, data };
}

/** The first pixel's RGB of every frame, and the first mask value of every frame. */
function perFrame(out: { frames: { width: number; height: number; count: number; data: Uint8Array }; mask?: { data: Float32Array } }) {
  const { width, height, count, data } = out.frames;
  const plane = width * height;
  return {
    rgb: Array.from({ length: count }, (_, f) => Array.from(data.subarray(f * plane * 3, f * plane * 3 + 3))),
    mask: Array.from({ length: count }, (_, f) => out.mask!.data[f * plane]),
  };
}

const RED: [number, number, number] = [200, 10, 10];
const BLUE: [number, number, number] = [10, 10, 200];

describe('extension control', () => {
  it('first frame over frames 0–3 with mask 0, gray 127 with mask 1 elsewhere', async () => {
    const c = new ExtensionControl({ first: solid(2, 2, 1, RED) });
    const out = await c.process(solid(2, 2, 12, [0, 0, 0]));
    const { rgb, mask } = perFrame(out);
    expect(rgb).toEqual([RED, RED, RED, RED, ...new Array(8).fill([127, 127, 127])]);
    expect(mask).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    // every pixel of an anchor frame, not only the first
    expect(Array.from(out.mask!.data.subarray(0, 16))).toEqual(new Array(16).fill(0));
    expect(Array.from(out.mask!.data.subarray(16))).toEqual(new Array(32).fill(1));
  });

  it('first and last: last over frames 8–11; on a 13-frame first chunk over 9–12', async () => {
    const c = new ExtensionControl({ first: solid(1, 1, 1, RED), last: solid(1, 1, 1, BLUE), chunks: 0 });
    const a = perFrame(await c.process(solid(1, 1, 12, [0, 0, 0])));
    const g = [127, 127, 127];
    expect(a.rgb).toEqual([RED, RED, RED, RED, g, g, g, g, BLUE, BLUE, BLUE, BLUE]);
    expect(a.mask).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0]);
    const b = perFrame(await c.process(solid(1, 1, 13, [0, 0, 0])));
    expect(b.mask).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  });

  it('applies to the next chunk only by default, again after reset()', async () => {
    const c = new ExtensionControl({ last: solid(1, 1, 1, BLUE) });
    expect(c.active).toBe(true);
    expect(perFrame(await c.process(solid(1, 1, 12, [0, 0, 0]))).mask.slice(8)).toEqual([0, 0, 0, 0]);
    expect(c.active).toBe(false);
    const after = perFrame(await c.process(solid(1, 1, 12, [0, 0, 0])));
    expect(after.mask).toEqual(new Array(12).fill(1));
    expect(after.rgb[11]).toEqual([127, 127, 127]);
    c.reset();
    expect(perFrame(await c.process(solid(1, 1, 12, [0, 0, 0]))).mask.slice(8)).toEqual([0, 0, 0, 0]);
  });

  it('with an inner control: anchors replace the control frames, the rest is the control output', async () => {
    const c = new ExtensionControl({ first: solid(1, 1, 1, RED), control: new GrayControl() });
    const { rgb, mask } = perFrame(await c.process(solid(1, 1, 12, [255, 0, 0])));
    expect(rgb).toEqual([RED, RED, RED, RED, ...new Array(8).fill([76, 76, 76])]);
    expect(mask).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('with an inner mask: the anchor is composited only where mask > 0.5, mask forced to 0 on anchor frames', async () => {
    const inpaint = new InpaintControl({ mask: new RectMaskSource({ x1: 1, y1: 0, x2: 2, y2: 1 }) });
    const c = new ExtensionControl({ first: solid(2, 1, 1, RED), control: inpaint });
    const out = await c.process(solid(2, 1, 12, [30, 40, 50]));
    // frame 0: pixel 0 unmasked keeps the source, pixel 1 masked gets the anchor
    expect(Array.from(out.frames.data.subarray(0, 6))).toEqual([30, 40, 50, ...RED]);
    expect(Array.from(out.mask!.data.subarray(0, 8))).toEqual(new Array(8).fill(0));
    // frame 4: plain inpainting
    expect(Array.from(out.frames.data.subarray(24, 30))).toEqual([30, 40, 50, 127, 127, 127]);
    expect(Array.from(out.mask!.data.subarray(8, 10))).toEqual([0, 1]);
  });

  it('decodes PNG images and fits them to the frame by cover + centre crop', async () => {
    // 4×2 image: left half red, right half blue; fitted to 1×1 → cover crop is the centre 2×2,
    // i.e. one red and one blue column; fitted to 4×2 → unchanged.
    const raw = Buffer.from([...RED, ...RED, ...BLUE, ...BLUE, ...RED, ...RED, ...BLUE, ...BLUE]);
    const img = await sharp(raw, { raw: { width: 4, height: 2, channels: 3 } }).png().toBuffer();
    const out = await new ExtensionControl({ first: img }).process(solid(4, 2, 12, [0, 0, 0]));
    expect(Array.from(out.frames.data.subarray(0, 24))).toEqual(Array.from(raw));
  });

  it('a corrupt image gives a clear error; a chunk too short for the anchors too', async () => {
    await expect(new ExtensionControl({ first: Buffer.from('\x89PNG\r\n\x1a\nbroken') }).process(solid(2, 2, 12, [0, 0, 0]))).rejects.toThrow(/extension first frame: image could not be decoded/);
    await expect(new ExtensionControl({ first: solid(1, 1, 1, RED), last: solid(1, 1, 1, RED) }).process(solid(1, 1, 6, [0, 0, 0]))).rejects.toThrow(/6 frames cannot hold 8/);
    expect(() => new ExtensionControl({})).toThrow(/first frame, a last frame/);
  });
});
