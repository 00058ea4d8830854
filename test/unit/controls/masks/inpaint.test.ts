import { describe, expect, it } from 'vitest';
import { GrayControl } from '../../../../controls/gray.ts';
import { InpaintControl } from '../../../../controls/masks/inpaint.ts';
import { MovingBoxMaskSource, RectMaskSource } from '../../../../controls/masks/mask-source.ts';

function solid(width: number, height: number, count: number, rgb: [number, number, number]) {
  const data = new Uint8Array(width * height * count * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width, height, count, data };
}

describe('inpaint control', () => {
  it('fills the masked pixels with gray 127, keeps the rest, returns the mask', async () => {
    const out = await new InpaintControl({ mask: new RectMaskSource({ x1: 1, y1: 0, x2: 3, y2: 1 }) }).process(solid(3, 2, 1, [10, 20, 30]));
    const k = [10, 20, 30], g = [127, 127, 127];
    expect(Array.from(out.frames.data)).toEqual([...k, ...g, ...g, ...k, ...k, ...k]);
    expect(Array.from(out.mask!.data)).toEqual([0, 1, 1, 0, 0, 0]);
  });

  it('fills where the feathered mask is above 0.5 and returns the raw feathered mask', async () => {
    const out = await new InpaintControl({ mask: new RectMaskSource({ x1: 2, y1: 0, x2: 6, y2: 1 }, { feather: 4 }), fill: 128 }).process(solid(8, 1, 1, [0, 0, 0]));
    expect(Array.from(out.mask!.data)).toEqual([0.125, 0.375, 0.625, 0.875, 0.875, 0.625, 0.375, 0.125]);
    const r = Array.from({ length: 8 }, (_, x) => out.frames.data[x * 3]);
    expect(r).toEqual([0, 0, 128, 128, 128, 128, 0, 0]);
  });

  it('a moving box moves across chunks and restarts after reset()', async () => {
    const c = new InpaintControl({ mask: new MovingBoxMaskSource({ x1: 0, y1: 0, x2: 1, y2: 1 }, { x1: 2, y1: 0, x2: 3, y2: 1 }, 2) });
    const first = await c.process(solid(3, 1, 1, [5, 5, 5]));
    const second = await c.process(solid(3, 1, 2, [5, 5, 5]));
    expect(Array.from(first.mask!.data)).toEqual([1, 0, 0]);
    expect(Array.from(second.mask!.data)).toEqual([0, 1, 0, 0, 0, 1]);
    c.reset();
    expect(Array.from((await c.process(solid(3, 1, 1, [5, 5, 5]))).mask!.data)).toEqual([1, 0, 0]);
  });

  it('with an inner control the masked region follows the control and the rest is the source', async () => {
    const out = await new InpaintControl({ mask: new RectMaskSource({ x1: 0, y1: 0, x2: 1, y2: 1 }), control: new GrayControl() }).process(solid(2, 1, 1, [255, 0, 0]));
    expect(Array.from(out.frames.data)).toEqual([76, 76, 76, 255, 0, 0]);
    expect(Array.from(out.mask!.data)).toEqual([1, 0]);
  });

  it('rejects a fill outside 0–255', () => {
    expect(() => new InpaintControl({ mask: new RectMaskSource({ x1: 0, y1: 0, x2: 1, y2: 1 }), fill: 300 })).toThrow(/fill/);
  });
});
