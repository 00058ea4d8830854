import { describe, expect, it } from 'vitest';
import type { Control } from '../../../controls/types.ts';
import { SessionOutpaint } from '../../../src/stream/session-outpaint.ts';
import { constantControl, rgb } from '../../support/stream-stages.ts';

const passthrough: Control = { id: 'passthrough', needsWeights: false, process: (f) => ({ frames: f }), reset: () => {} };

/** Column x of row 0, frame 0: [R, mask]. */
function column(out: Awaited<ReturnType<Control['process']>>, x: number): [number, number] {
  return [out.frames.data[x * 3], out.mask!.data[x]];
}

describe('SessionOutpaint (the live `outpaint` parameter)', () => {
  it('grows the picture: the camera shrinks into the frame, `amount` of it on `direction` is generated (gray, mask 1)', async () => {
    const op = new SessionOutpaint();
    const out = await op.controlFor(passthrough, { direction: 'left', amount: 0.25 }).process(rgb(8, 2, 200, 3));
    expect(out.frames).toMatchObject({ width: 8, height: 2, count: 3 });
    expect([0, 1].map((x) => column(out, x))).toEqual([
      [127, 1],
      [127, 1],
    ]);
    // Passthrough means no guide: the placed camera is kept (mask 0).
    expect([2, 7].map((x) => column(out, x))).toEqual([
      [200, 0],
      [200, 0],
    ]);
    const right = await op.controlFor(passthrough, { direction: 'right', amount: 0.5 }).process(rgb(8, 2, 200));
    expect([column(right, 3), column(right, 4)]).toEqual([
      [200, 0],
      [127, 1],
    ]);
  });

  it('with a real control, its frames guide the placed rectangle and the whole frame is generated', async () => {
    const out = await new SessionOutpaint().controlFor(constantControl('ten', 10), { direction: 'up', amount: 0.5 }).process(rgb(2, 4, 200));
    const rows = [0, 1, 2, 3].map((y) => out.frames.data[y * 2 * 3]);
    expect(rows).toEqual([127, 127, 10, 10]);
    expect(Array.from(out.mask!.data).every((m) => m === 1)).toBe(true);
  });

  it('is the control itself while outpainting is off, and keeps one wrapper while nothing changes', () => {
    const op = new SessionOutpaint();
    const ten = constantControl('ten', 10);
    expect(op.controlFor(ten, { direction: 'none', amount: 0.25 })).toBe(ten);
    expect(op.controlFor(ten, { direction: 'left', amount: 0 })).toBe(ten);
    const a = op.controlFor(ten, { direction: 'left', amount: 0.25 });
    expect(a).not.toBe(ten);
    expect(op.controlFor(ten, { direction: 'left', amount: 0.25 })).toBe(a);
    expect(op.controlFor(ten, { direction: 'left', amount: 0.5 })).not.toBe(a);
    expect(op.controlFor(constantControl('ten', 10), { direction: 'left', amount: 0.5 })).not.toBe(a);
  });
});
