import type { RgbFrames } from '../frames.ts';

/** One decoded frame with the time (ms, performance.now on the server) it left the decoder. */
export interface TimedFrame {
  readonly frame: RgbFrames;
  readonly capturedAt: number;
  /** Running number of the input frame this frame came from. */
  readonly seq: number;
}
