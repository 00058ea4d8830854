/**
 * Scribble control: VACE's contour network (ContourInference) on every frame at the stream
 * resolution, as scope runs it: u8/255 in, the sigmoid map repeated to RGB, uint8 by truncation.
 * Upstream does not invert or threshold the map, and neither do we.
 */
import type { RgbFrames } from '../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../src/frames.ts';
import type { SessionOptions } from '../src/model/runtime/session.ts';
import { ScribbleModel, scribbleInput } from '../src/model/scribble/model.ts';
import { AnnotatorModels, type AnnotatorCheckpoint } from './annotator-models.ts';
import { AnnotatorChunkQueue } from './annotator-queue.ts';
import { requireWeightsFile } from './annotator-weights.ts';
import { sliceFrames, writeGrayTruncated } from './annotator-frames.ts';
import type { Control, ControlOutput } from './types.ts';

/** `weightsPath` (e.g. AnnotatorWeights.path('scribble')) or `weights` already open (tests, benchmarks). */
export type ScribbleControlOptions = SessionOptions & AnnotatorCheckpoint;

/** Chunks queued or running at once: one running, one waiting (the next chunk's control computed while this one generates). */
const MAX_QUEUED_CHUNKS = 2;

export class ScribbleControl implements Control {
  readonly id = 'scribble';
  readonly needsWeights = true;
  readonly #opts: ScribbleControlOptions;
  readonly #models: AnnotatorModels<ScribbleModel>;
  readonly #queue = new AnnotatorChunkQueue('scribble', MAX_QUEUED_CHUNKS);

  constructor(opts: ScribbleControlOptions) {
    this.#opts = opts;
    if (opts.weightsPath !== undefined) requireWeightsFile('scribble', opts.weightsPath);
    // One frame per run: the net has no temporal coupling, so one graph serves any chunk length.
    this.#models = new AnnotatorModels(opts, (w, H, W) => ScribbleModel.load(w, 1, H, W, this.#opts));
  }

  process(frames: RgbFrames): Promise<ControlOutput> {
    return this.#queue.run(() => this.#process(frames));
  }

  async #process(frames: RgbFrames): Promise<ControlOutput> {
    assertFrameSize(frames);
    const { width: W, height: H, count: T } = frames;
    const model = await this.#models.forSize(H, W);
    const out = allocRgbFrames(W, H, T);
    const plane = H * W;
    for (let t = 0; t < T; t++) {
      const { contour } = await model.run(scribbleInput(sliceFrames(frames, t, t + 1)));
      const [, , h, w] = contour.shape as [number, number, number, number];
      if (h < H || w < W) throw new Error(`scribble: contour ${h}×${w} is smaller than the frame ${H}×${W}`);
      // The net's output is 4⌈H/4⌉ × 4⌈W/4⌉: keep the top-left H×W rows/columns.
      const v = new Float32Array(plane);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) v[y * W + x] = Math.min(1, Math.max(0, contour.data[y * w + x]!));
      writeGrayTruncated(v, out.data, t * plane * 3);
    }
    return { frames: out };
  }

  reset(): void {}

  async dispose(): Promise<void> {
    await this.#queue.idle(); // a running chunk still needs its sessions
    await this.#models.release();
  }
}
