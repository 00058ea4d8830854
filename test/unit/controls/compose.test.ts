import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { EdgesControl } from '../../../controls/edges.ts';
import { OutpaintControl } from '../../../controls/masks/outpaint.ts';
import { createControl } from '../../../controls/registry.ts';
import type { ControlOutput } from '../../../controls/types.ts';
import type { RgbFrames } from '../../../src/frames.ts';

/** W×H frames with a vertical black→white step in the middle of the frame. */
function step(width: number, height: number, count: number): RgbFrames {
  const data = new Uint8Array(width * height * count * 3);
  for (let f = 0; f < count; f++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    data.fill(x < width / 2 ? 0 : 255, ((f * height + y) * width + x) * 3, ((f * height + y) * width + x) * 3 + 3);
  }
  return { width, height, count, data };
}

describe('composition', () => {
  it('edges + outpainting: edges of the placed source inside, gray 127 margin, mask 1 everywhere', async () => {
    const W = 24, H = 8;
    const c = createControl('compose', { control: { id: 'edges' }, outpaint: { directions: ['left', 'right'], ratio: 0.5 } });
    const out = (await c.process(step(W, H, 2))) as ControlOutput;
    const g = new OutpaintControl({ directions: ['left', 'right'], ratio: 0.5 }).geometry(W, H);
    // 12 + 2·6 = 24 → inner 12 wide at x = 6
    expect([g.innerWidth, g.left]).toEqual([12, 6]);
    // The inner rectangle equals the edges of the placed (cover-cropped, resampled) source: obtain the
    // placed source from plain outpainting and run the edge detector on its inner rectangle.
    const placed = await new OutpaintControl({ directions: ['left', 'right'], ratio: 0.5 }).process(step(W, H, 2));
    const inner = { width: g.innerWidth, height: H, count: 2, data: new Uint8Array(g.innerWidth * H * 2 * 3) };
    for (let f = 0; f < 2; f++) for (let y = 0; y < H; y++) for (let x = 0; x < g.innerWidth; x++) for (let ch = 0; ch < 3; ch++) {
      inner.data[((f * H + y) * g.innerWidth + x) * 3 + ch] = placed.frames.data[((f * H + y) * W + x + g.left) * 3 + ch];
    }
    const edges = new EdgesControl().process(inner).frames;
    let edgePixels = 0;
    for (let f = 0; f < 2; f++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const v = out.frames.data[((f * H + y) * W + x) * 3];
      if (x < g.left || x >= g.left + g.innerWidth) expect(v).toBe(127);
      else {
        const e = edges.data[((f * H + y) * g.innerWidth + x - g.left) * 3];
        expect(v).toBe(e);
        if (e === 255) edgePixels++;
      }
    }
    expect(edgePixels).toBe(2 * H); // one line per row and frame: the step survives placement
    expect(Array.from(out.mask!.data).every((m) => m === 1)).toBe(true);
  });

  it('gray + inpainting + extension from JSON: one output, anchors composited into the masked region', async () => {
    const RED = [255, 0, 0], BLUE = [10, 20, 200];
    const png = await sharp(Buffer.from([...RED, ...BLUE]), { raw: { width: 2, height: 1, channels: 3 } }).png().toBuffer();
    const c = createControl('compose', {
      control: { id: 'gray' },
      inpaint: { mask: { kind: 'rect', box: [1, 0, 2, 1] } },
      extension: { first: png.toString('base64') },
    });
    const frames = { width: 2, height: 1, count: 12, data: new Uint8Array(2 * 12 * 3) };
    for (let i = 0; i < frames.data.length; i += 3) frames.data.set(RED, i);
    const out = (await c.process(frames)) as ControlOutput;
    for (let f = 0; f < 12; f++) {
      const px = Array.from(out.frames.data.subarray(f * 6, f * 6 + 6));
      const m = Array.from(out.mask!.data.subarray(f * 2, f * 2 + 2));
      if (f < 4) {
        expect(px).toEqual([...RED, ...BLUE]); // kept source | anchor where the mask was set
        expect(m).toEqual([0, 0]);
      } else {
        expect(px).toEqual([...RED, 76, 76, 76]); // kept source | gray control (BT.601 of red)
        expect(m).toEqual([0, 1]);
      }
    }
  });

  it('a composed control reports the weights of its parts and resets them', async () => {
    const c = createControl('compose', { control: { id: 'gray' }, inpaint: { mask: { kind: 'moving-box', from: [0, 0, 1, 1], to: [1, 0, 2, 1], frames: 1 } } });
    expect(c.needsWeights).toBe(false);
    const one = { width: 2, height: 1, count: 1, data: new Uint8Array(6) };
    expect(Array.from(((await c.process(one)) as ControlOutput).mask!.data)).toEqual([1, 0]);
    expect(Array.from(((await c.process(one)) as ControlOutput).mask!.data)).toEqual([0, 1]);
    c.reset();
    expect(Array.from(((await c.process(one)) as ControlOutput).mask!.data)).toEqual([1, 0]);
  });
});
