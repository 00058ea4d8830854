/**
 * Edges control: Canny line art of the camera frames.
 *
 * White (255) lines on a black (0) background, the same polarity as VACE's scribble conditioning
 * (ScribbleVideoAnnotator outputs white strokes on black), so a session can switch between the
 * learned scribble network and this weight-free extractor without the model seeing inverted input.
 */
import type { RgbFrames } from '../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../src/frames.ts';
import { CannyEdgeDetector, DEFAULT_CANNY, type CannyParams } from './canny.ts';
import type { Control, ControlOutput } from './types.ts';

export type EdgesOptions = Partial<CannyParams>;

export class EdgesControl implements Control {
  readonly id = 'edges';
  readonly needsWeights = false;
  readonly #detector: CannyEdgeDetector;

  constructor(options: EdgesOptions = {}) {
    this.#detector = new CannyEdgeDetector({
      sigma: options.sigma ?? DEFAULT_CANNY.sigma,
      low: options.low ?? DEFAULT_CANNY.low,
      high: options.high ?? DEFAULT_CANNY.high,
    });
  }

  get params(): CannyParams {
    return this.#detector.params;
  }

  process(frames: RgbFrames): ControlOutput {
    assertFrameSize(frames);
    const { width, height, count } = frames;
    const out = allocRgbFrames(width, height, count);
    const frameBytes = width * height * 3;
    for (let f = 0; f < count; f++) {
      this.#detector.detect(frames.data, f * frameBytes, out.data, f * frameBytes, width, height);
    }
    return { frames: out };
  }

  /** Canny keeps no state between chunks (scratch buffers only). */
  reset(): void {}
}
