import { describe, expect, it } from 'vitest';
import { interpolatedBox, rectMaskInto } from '../../../../controls/masks/box.ts';
import { MovingBoxMaskSource, RectMaskSource } from '../../../../controls/masks/mask-source.ts';
import { allocMaskFrames } from '../../../../controls/masks/mask-frames.ts';

function plane(width: number, height: number, box: { x1: number; y1: number; x2: number; y2: number }, feather = 0): number[][] {
  const out = new Float32Array(width * height);
  rectMaskInto(out, 0, width, height, box, feather);
  return Array.from({ length: height }, (_, y) => Array.from(out.subarray(y * width, (y + 1) * width)));
}

describe('rectangle mask', () => {
  it('is 1 on [x1, x2) × [y1, y2) and 0 elsewhere, non-square frame', () => {
    expect(plane(5, 3, { x1: 1, y1: 1, x2: 4, y2: 3 })).toEqual([
      [0, 0, 0, 0, 0],
      [0, 1, 1, 1, 0],
      [0, 1, 1, 1, 0],
    ]);
  });

  it('truncates fractional corners and clamps to the frame like InpaintingAnnotator bbox mode', () => {
    // int(max(0, -3.7)) = 0, int(1.9) = 1, int(min(4, 9.2)) = 4, int(2.99) = 2
    expect(plane(4, 3, { x1: -3.7, y1: 1.9, x2: 9.2, y2: 2.99 })).toEqual([
      [0, 0, 0, 0],
      [1, 1, 1, 1],
      [0, 0, 0, 0],
    ]);
  });

  it('feathering ramps clamp(0.5 − s/f) across the edge, so mask > 0.5 is still exactly the box', () => {
    // Box x ∈ [2, 6) over the full height (top/bottom on the frame border: no fade there).
    // Pixel centres 0.5…7.5; s = distance to the nearest vertical edge (negative inside), f = 4.
    expect(plane(8, 1, { x1: 2, y1: 0, x2: 6, y2: 1 }, 4)).toEqual([[0.125, 0.375, 0.625, 0.875, 0.875, 0.625, 0.375, 0.125]]);
  });

  it('feathering uses the Euclidean distance outside a corner', () => {
    const p = plane(6, 6, { x1: 2, y1: 2, x2: 4, y2: 4 }, 2);
    // (1,1): centre (1.5,1.5), distance √0.5 to corner (2,2) → 0.5 − √0.5/2
    expect(p[1][1]).toBeCloseTo(0.5 - Math.SQRT1_2 / 2, 6);
    // (0,0): distance √4.5 → below 0 → 0
    expect(p[0][0]).toBe(0);
    // (2,2): inside, 0.5 from both edges → 0.5 + 0.25
    expect(p[2][2]).toBe(0.75);
    // (1,2): outside by 0.5 on x only → 0.25
    expect(p[2][1]).toBe(0.25);
  });

  it('relative boxes scale with the frame, every frame of the chunk gets the mask', () => {
    const mask = allocMaskFrames(4, 2, 3);
    new RectMaskSource({ x1: 0.5, y1: 0, x2: 1, y2: 0.5 }, { relative: true }).fill(mask);
    const one = [0, 0, 1, 1, 0, 0, 0, 0];
    expect(Array.from(mask.data)).toEqual([...one, ...one, ...one]);
  });

  it('rejects an inverted box', () => {
    expect(() => new RectMaskSource({ x1: 3, y1: 0, x2: 1, y2: 2 })).toThrow(/x1 ≤ x2/);
  });
});

describe('moving box (LayoutBbox interpolation)', () => {
  it('steps by (end − start)/N per frame in float32 and truncates, holding the end box after N frames', () => {
    const from = { x1: 2, y1: 2, x2: 6, y2: 6 };
    const to = { x1: 6, y1: 4, x2: 10, y2: 8 };
    // increment (1, 0.5, 0, 0): y = 2, 2.5, 3, 3.5 → 2, 2, 3, 3
    const want = [
      { x: 2, y: 2, w: 4, h: 4 },
      { x: 3, y: 2, w: 4, h: 4 },
      { x: 4, y: 3, w: 4, h: 4 },
      { x: 5, y: 3, w: 4, h: 4 },
      { x: 6, y: 4, w: 4, h: 4 },
      { x: 6, y: 4, w: 4, h: 4 },
    ];
    expect(want.map((_, i) => interpolatedBox(from, to, 4, i))).toEqual(want);
  });

  it('truncates toward zero after the float32 step (fractional increments)', () => {
    // increment 1/3: frame 1 → 0.333 → 0, frame 2 → 0.667 → 0 ; increment 1: frame 1 → 1
    expect(interpolatedBox({ x1: 0, y1: 0, x2: 3, y2: 3 }, { x1: 1, y1: 0, x2: 4, y2: 3 }, 3, 2)).toEqual({ x: 0, y: 0, w: 3, h: 3 });
    expect(interpolatedBox({ x1: 0, y1: 0, x2: 3, y2: 3 }, { x1: 3, y1: 0, x2: 6, y2: 3 }, 3, 1)).toEqual({ x: 1, y: 0, w: 3, h: 3 });
    // negative motion truncates toward zero too: x = 4 − 1.5 = 2.5 → 2
    expect(interpolatedBox({ x1: 4, y1: 0, x2: 5, y2: 1 }, { x1: 1, y1: 0, x2: 2, y2: 1 }, 2, 1)).toEqual({ x: 2, y: 0, w: 1, h: 1 });
  });

  it('continues across chunks from the stream frame index', () => {
    const src = new MovingBoxMaskSource({ x1: 0, y1: 0, x2: 1, y2: 1 }, { x1: 3, y1: 0, x2: 4, y2: 1 }, 3);
    const mask = allocMaskFrames(4, 1, 2);
    src.fill(mask, 2); // frames 2 and 3: x = 2, then the end box x = 3
    expect(Array.from(mask.data)).toEqual([0, 0, 1, 0, 0, 0, 0, 1]);
  });
});
