/**
 * Passthrough: the camera frames are the control frames (plain V2V conditioning).
 * The output aliases the input buffer — no copy — so callers must treat control output as
 * read-only, which they do anyway (the VACE encoder only reads it).
 */
import type { RgbFrames } from '../src/frames.ts';
import { assertFrameSize } from '../src/frames.ts';
import type { Control, ControlOutput } from './types.ts';

export class PassthroughControl implements Control {
  readonly id = 'passthrough';
  readonly needsWeights = false;

  process(frames: RgbFrames): ControlOutput {
    assertFrameSize(frames);
    return { frames };
  }

  reset(): void {}
}
