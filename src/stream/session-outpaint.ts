/**
 * The live session's `outpaint` parameter ({ direction, amount }) as a control, through the one
 * outpainting path (controls/compose.ts `withOutpaint`, the renderer's too): the frame keeps its
 * size, the camera picture shrinks into the rest and the margin on `direction` — `amount` of the
 * frame — is generated. The session's control then guides the inner rectangle ('passthrough'
 * means none: the camera itself is placed and kept, mask 0, only the margin is generated).
 */
import { withOutpaint } from '../../controls/compose.ts';
import { ratioForMarginFraction } from '../../controls/masks/outpaint-geometry.ts';
import type { Control } from '../../controls/types.ts';
import type { SessionParams } from './params.ts';

export type OutpaintParam = SessionParams['outpaint'];

/**
 * The control to run for a chunk: `control` itself, or outpainting around it while the parameter
 * is active. The wrapper is kept while the control and the parameter stay the same (it caches
 * its geometry and resampler). It is never disposed: it owns nothing but `control`, whose lifetime
 * is the session's (disposing the wrapper would dispose the control still in use).
 */
export class SessionOutpaint {
  #wrapped?: { readonly control: Control; readonly direction: string; readonly amount: number; readonly outpaint: Control };

  controlFor(control: Control, p: OutpaintParam): Control {
    if (p.direction === 'none' || p.amount <= 0) return control;
    const w = this.#wrapped;
    if (w && w.control === control && w.direction === p.direction && w.amount === p.amount) return w.outpaint;
    const outpaint = withOutpaint({ directions: [p.direction], ratio: ratioForMarginFraction(p.amount) }, control.id === 'passthrough' ? undefined : control);
    this.#wrapped = { control, direction: p.direction, amount: p.amount, outpaint };
    return outpaint;
  }
}
