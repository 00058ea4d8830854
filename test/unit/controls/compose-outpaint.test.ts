/** The one outpainting path (compose.ts withOutpaint) shared by the registry, the renderer and the live session. */
import { describe, expect, it } from 'vitest';
import { withOutpaint } from '../../../controls/compose.ts';
import { fitFrameGeometry, ratioForMarginFraction } from '../../../controls/masks/outpaint-geometry.ts';
import { createControl } from '../../../controls/registry.ts';
import type { ControlOutput } from '../../../controls/types.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import { controlSpecFor } from '../../../src/render/control-spec.ts';

function gradient(width: number, height: number, count: number): RgbFrames {
  const data = new Uint8Array(width * height * count * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
  return { width, height, count, data };
}

describe('ratioForMarginFraction', () => {
  it('gives the ratio whose fit-frame margin is that fraction of the frame', () => {
    expect(ratioForMarginFraction(0.25)).toBeCloseTo(1 / 3);
    const g = fitFrameGeometry(640, 360, { directions: ['left'], ratio: ratioForMarginFraction(0.25) });
    expect(g).toMatchObject({ width: 640, height: 360, innerWidth: 480, left: 160, keepX1: 160, keepX2: 640 });
    for (const size of [64, 360, 368, 640, 832]) {
      for (const fraction of [0.05, 0.1, 0.25, 0.5, 0.75, 0.9]) {
        const h = fitFrameGeometry(size, size, { directions: ['down'], ratio: ratioForMarginFraction(fraction) });
        expect(Math.abs(h.height - h.innerHeight - fraction * size)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses fractions outside [0, 1)', () => {
    expect(ratioForMarginFraction(0)).toBe(0);
    expect(() => ratioForMarginFraction(1)).toThrow(/\[0, 1\)/);
    expect(() => ratioForMarginFraction(-0.1)).toThrow(/\[0, 1\)/);
  });
});

describe('withOutpaint', () => {
  it("is what the renderer's --outpaint builds through compose: same frames, same mask", async () => {
    const spec = controlSpecFor({ outpaint: { directions: ['left', 'right'], ratio: 0.25 } })!;
    const viaRenderer = (await createControl(spec.id, spec.options).process(gradient(40, 8, 2))) as ControlOutput;
    const direct = await withOutpaint({ directions: ['left', 'right'], ratio: 0.25 }).process(gradient(40, 8, 2));
    expect(viaRenderer.frames).toEqual(direct.frames);
    expect(viaRenderer.mask).toEqual(direct.mask);
    // Fit-frame: the frame keeps its size, the margin is generated.
    expect(direct.frames).toMatchObject({ width: 40, height: 8, count: 2 });
    expect(direct.mask!.data[0]).toBe(1);
    expect(direct.mask!.data[20]).toBe(0);
  });

  it('disposes the control it wraps', async () => {
    const disposed: string[] = [];
    const inner = { id: 'gray', needsWeights: false, process: (f: RgbFrames) => ({ frames: f }), reset: () => {}, dispose: () => void disposed.push('gray') };
    await withOutpaint({ directions: ['up'], ratio: 0.5 }, inner).dispose();
    expect(disposed).toEqual(['gray']);
  });
});
