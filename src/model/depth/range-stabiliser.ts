/**
 * Holds the depth normalisation range steady across calls. Upstream normalises every 4-frame
 * call by its own min/max, so a near object entering one call (or the network's per-call scale
 * drift) rescales the whole picture and the control video flickers at call boundaries. We keep
 * an exponential moving average of the observed min and max instead: the first call uses its
 * own range, each later one moves the held range a fraction (1 − smoothing) of the way to the
 * observed one. Values outside the held range saturate at 0 or 1.
 */
import type { DepthRange } from './postprocess.ts';

export interface RangeStabiliserOptions {
  /** Weight of the held range at each update, in [0, 1): 0 = upstream per-call range. Default 0.8. */
  readonly smoothing?: number;
}

export class DepthRangeStabiliser {
  readonly smoothing: number;
  #held: DepthRange | undefined;

  constructor(opts: RangeStabiliserOptions = {}) {
    const s = opts.smoothing ?? 0.8;
    if (!(s >= 0 && s < 1)) throw new Error(`depth range smoothing must be in [0, 1), got ${s}`);
    this.smoothing = s;
  }

  /** Feeds one call's observed range; returns the range to normalise that call with. */
  update(observed: DepthRange): DepthRange {
    if (!Number.isFinite(observed.min) || !Number.isFinite(observed.max)) return this.#held ?? observed;
    const held = this.#held;
    const a = this.smoothing;
    const next = held ? { min: a * held.min + (1 - a) * observed.min, max: a * held.max + (1 - a) * observed.max } : observed;
    this.#held = next;
    return next;
  }

  get held(): DepthRange | undefined {
    return this.#held;
  }

  reset(): void {
    this.#held = undefined;
  }
}
