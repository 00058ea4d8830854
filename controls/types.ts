/**
 * One interface for every live control (depth, scribble, gray, edges, masks, outpaint, extension).
 * A control turns a chunk's camera frames into VACE control frames (RGB, the model's input
 * range after the usual u8 → [−1, 1] mapping) and, where it applies, a mask.
 */
import type { MaskFrames, RgbFrames } from '../src/frames.ts';

export interface ControlOutput {
  /** Control frames, same size and count as the input (or the outpainted canvas size). */
  readonly frames: RgbFrames;
  /** Mask per frame, 1 = regenerate (reactive), 0 = keep (inactive); absent = all ones. */
  readonly mask?: MaskFrames;
}

export interface Control {
  /** Stable identifier used by the parameter schema: 'passthrough', 'gray', 'edges', 'depth', … */
  readonly id: string;
  /** Whether the control needs downloaded weights (depth, scribble) or works out of the box. */
  readonly needsWeights: boolean;
  /** Process one chunk. Per-session state (e.g. depth normalisation range) lives in the instance. */
  process(frames: RgbFrames): Promise<ControlOutput> | ControlOutput;
  /** Forget per-session state (session reset). */
  reset(): void;
  /** Free native resources (ORT sessions). */
  dispose?(): Promise<void> | void;
}
