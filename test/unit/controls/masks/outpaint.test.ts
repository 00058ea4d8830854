import { describe, expect, it } from 'vitest';
import { GrayControl } from '../../../../controls/gray.ts';
import { OutpaintControl } from '../../../../controls/masks/outpaint.ts';
import { fitFrameGeometry, growCanvasGeometry } from '../../../../controls/masks/outpaint-geometry.ts';

describe('outpaint geometry (VACE OutpaintingAnnotator)', () => {
  it('VACE video preset: left+right 0.25 on 640×368, keep 1 → 960×368 canvas, source at x=160', () => {
    // int(0.25·640) = 160 each side; ceil(960/1)·1 = 960; left = 160·320 // 320 = 160; right = 320 − 160
    const g = growCanvasGeometry(640, 368, { directions: ['left', 'right'], ratio: 0.25 });
    expect(g).toMatchObject({ width: 960, height: 368, left: 160, up: 0, right: 160, down: 0, innerWidth: 640, innerHeight: 368 });
    expect([g.keepX1, g.keepY1, g.keepX2, g.keepY2]).toEqual([160, 0, 800, 368]);
  });

  it('all directions with keep 8 and mask blur: the slack split and the inset rectangle', () => {
    // 10×7, ratio 0.3: left = right = int(3.0000000000000004) = 3, up = down = int(2.1) = 2
    // canvas ceil(16/8)·8 = 16 × ceil(11/8)·8 = 16; left = 3·6 // 6 = 3, right = 3; up = 2·9 // 4 = 4, down = 5
    const p = { directions: ['left', 'right', 'up', 'down'] as const, ratio: 0.3, keepPaddingRatio: 8 };
    const g = growCanvasGeometry(10, 7, p);
    expect(g).toMatchObject({ width: 16, height: 16, left: 3, right: 3, up: 4, down: 5 });
    expect([g.keepX1, g.keepY1, g.keepX2, g.keepY2]).toEqual([3, 4, 13, 11]);
    // MASK_BLUR = 1 shrinks the kept rectangle by 2 on every expanded side
    const b = growCanvasGeometry(10, 7, { ...p, maskBlur: 1 });
    expect([b.keepX1, b.keepY1, b.keepX2, b.keepY2]).toEqual([5, 6, 11, 9]);
  });

  it('one side only: the whole slack goes to that side; unexpanded padding stays unmasked as upstream', () => {
    // 9×4 left 0.5, keep 8: left = int(4.5) = 4 → width ceil(13/8)·8 = 16, left = 4·7 // 4 = 7;
    // height ceil(4/8)·8 = 8 with up = down = 0, and upstream's rectangle then keeps rows 0…7.
    const g = growCanvasGeometry(9, 4, { directions: ['left'], ratio: 0.5, keepPaddingRatio: 8 });
    expect(g).toMatchObject({ width: 16, height: 8, left: 7, right: 0, up: 0, down: 0 });
    expect([g.keepX1, g.keepY1, g.keepX2, g.keepY2]).toEqual([7, 0, 16, 8]);
  });

  it('fit-frame keeps the canvas at the frame size and shrinks the source to the largest fitting size', () => {
    // 427 + 2·int(106.75) = 639 ≤ 640 < 428 + 2·int(107) = 642; slack 213: left = 106·213 // 212 = 106, right = 107
    const g = fitFrameGeometry(640, 368, { directions: ['left', 'right'], ratio: 0.25 });
    expect(g).toMatchObject({ width: 640, height: 368, innerWidth: 427, innerHeight: 368, left: 106, right: 107, up: 0, down: 0 });
    expect([g.keepX1, g.keepX2]).toEqual([106, 533]);
  });

  it('rejects bad parameters with the field named', () => {
    expect(() => growCanvasGeometry(8, 8, { directions: [], ratio: 0.2 })).toThrow(/direction/);
    expect(() => growCanvasGeometry(8, 8, { directions: ['left'], ratio: -1 })).toThrow(/ratio/);
    expect(() => new OutpaintControl({ directions: ['sideways' as 'left'], ratio: 0.2 })).toThrow(/sideways/);
  });
});

/** 4×2 frame with distinct pixels: value 10·(y·4 + x) + channel. */
function ramp4x2() {
  const data = new Uint8Array(4 * 2 * 3);
  for (let p = 0; p < 8; p++) for (let c = 0; c < 3; c++) data[p * 3 + c] = 10 * p + c;
  return { width: 4, height: 2, count: 1, data };
}

describe('outpaint control', () => {
  it('fit-frame: the centre crop of the source sits in the middle, the margin is gray 127 with mask 1', async () => {
    // left+right 0.5 on 4 wide: inner 2 (2 + 2·int(1) = 4), left = right = 1; the 2×2 cover crop
    // of the 4×2 source is columns 1–2, resampled 1:1.
    const out = await new OutpaintControl({ directions: ['left', 'right'], ratio: 0.5 }).process(ramp4x2());
    const g = [127, 127, 127];
    const px = (p: number) => [10 * p, 10 * p + 1, 10 * p + 2];
    expect(Array.from(out.frames.data)).toEqual([...g, ...px(1), ...px(2), ...g, ...g, ...px(5), ...px(6), ...g]);
    expect(Array.from(out.mask!.data)).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
    expect([out.frames.width, out.frames.height, out.frames.count]).toEqual([4, 2, 1]);
  });

  it('grow-canvas: upstream placement, the canvas is larger than the input, the fill is configurable', async () => {
    // 4×2, up 0.5: up = int(1.0) = 1 → canvas 4×3, source at row 1
    const out = await new OutpaintControl({ directions: ['up'], ratio: 0.5, placement: 'grow-canvas', fill: 128 }).process(ramp4x2());
    expect([out.frames.width, out.frames.height]).toEqual([4, 3]);
    expect(Array.from(out.frames.data.subarray(0, 12))).toEqual(new Array(12).fill(128));
    expect(Array.from(out.frames.data.subarray(12))).toEqual(Array.from(ramp4x2().data));
    expect(Array.from(out.mask!.data)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('every frame of a chunk is placed, not only the first', async () => {
    const two = { width: 4, height: 2, count: 2, data: new Uint8Array(48) };
    two.data.set(ramp4x2().data, 0);
    two.data.fill(200, 24);
    const out = await new OutpaintControl({ directions: ['left', 'right'], ratio: 0.5 }).process(two);
    expect(Array.from(out.frames.data.subarray(24, 36))).toEqual([127, 127, 127, 200, 200, 200, 200, 200, 200, 127, 127, 127]);
    expect(Array.from(out.mask!.data.subarray(8))).toEqual([1, 0, 0, 1, 1, 0, 0, 1]);
  });

  it('with an inner control the control runs on the placed source and the mask is 1 everywhere', async () => {
    const out = await new OutpaintControl({ directions: ['left', 'right'], ratio: 0.5, control: new GrayControl() }).process(ramp4x2());
    const lum = (p: number) => (4899 * 10 * p + 9617 * (10 * p + 1) + 1868 * (10 * p + 2) + 8192) >> 14;
    const g3 = (v: number) => [v, v, v];
    expect(Array.from(out.frames.data)).toEqual([...g3(127), ...g3(lum(1)), ...g3(lum(2)), ...g3(127), ...g3(127), ...g3(lum(5)), ...g3(lum(6)), ...g3(127)]);
    expect(Array.from(out.mask!.data)).toEqual(new Array(8).fill(1));
  });
});
