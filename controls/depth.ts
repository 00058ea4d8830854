/**
 * Depth control: Video-Depth-Anything-Small on every frame, as scope runs it (calls of 4
 * frames; within a call each frame attends to the previous one through the motion-module cache,
 * which starts empty at every call), turned into a gray image.
 *
 * Beyond upstream: upstream normalises every call by its own min/max, which flickers between
 * calls; by default the range is held steady across calls and chunks with an exponential moving
 * average (src/model/depth/range-stabiliser.ts). `stabilise: false` gives upstream's behaviour.
 * The network predicts relative inverse depth, so near is bright.
 */
import type { RgbFrames } from '../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../src/frames.ts';
import { VDA_SMALL, type DepthConfig } from '../src/model/depth/config.ts';
import { DepthModel } from '../src/model/depth/model.ts';
import { depthRange, depthToFrameSize, normaliseDepth } from '../src/model/depth/postprocess.ts';
import { depthNetInput, depthNetSize } from '../src/model/depth/preprocess.ts';
import { DepthRangeStabiliser } from '../src/model/depth/range-stabiliser.ts';
import type { SessionOptions } from '../src/model/runtime/session.ts';
import { AnnotatorModels, type AnnotatorCheckpoint } from './annotator-models.ts';
import { AnnotatorChunkQueue } from './annotator-queue.ts';
import { requireWeightsFile } from './annotator-weights.ts';
import { sliceFrames, writeGrayTruncated } from './annotator-frames.ts';
import type { Control, ControlOutput } from './types.ts';

/** Everything about the depth control but where its weights come from. */
export interface DepthSettings extends SessionOptions {
  /** Model sizes; default Video-Depth-Anything-Small. */
  readonly config?: DepthConfig;
  /**
   * Pre-processing target side (upstream 518). Smaller multiples of 14 trade detail for speed:
   * the ViT's cost grows with the square of the token count.
   */
  readonly inputSize?: number;
  /** Frames per call with a fresh cache (scope: 4). */
  readonly framesPerCall?: number;
  /** Hold the normalisation range across calls (default true). */
  readonly stabilise?: boolean;
  /** EMA weight of the held range (default 0.8). */
  readonly smoothing?: number;
}

/** `weightsPath` (e.g. AnnotatorWeights.path('depth')) or `weights` already open (tests, benchmarks). */
export type DepthControlOptions = DepthSettings & AnnotatorCheckpoint;

/** Chunks queued or running at once: one running, one waiting (the next chunk's control computed while this one generates). */
const MAX_QUEUED_CHUNKS = 2;

export class DepthControl implements Control {
  readonly id = 'depth';
  readonly needsWeights = true;
  readonly #opts: DepthControlOptions;
  readonly #cfg: DepthConfig;
  readonly #framesPerCall: number;
  readonly #stabiliser: DepthRangeStabiliser | undefined;
  readonly #models: AnnotatorModels<DepthModel>;
  readonly #queue = new AnnotatorChunkQueue('depth', MAX_QUEUED_CHUNKS);

  constructor(opts: DepthControlOptions) {
    this.#opts = opts;
    const base = opts.config ?? VDA_SMALL;
    if (opts.inputSize !== undefined && !(Number.isInteger(opts.inputSize) && opts.inputSize >= 14 && opts.inputSize % 14 === 0)) {
      throw new Error(`depth control: inputSize must be a positive multiple of 14, got ${opts.inputSize}`);
    }
    this.#cfg = opts.inputSize === undefined ? base : { ...base, inputSize: opts.inputSize };
    this.#framesPerCall = opts.framesPerCall ?? 4;
    if (!Number.isInteger(this.#framesPerCall) || this.#framesPerCall < 1) throw new Error(`depth control: framesPerCall must be a positive integer, got ${opts.framesPerCall}`);
    this.#stabiliser = opts.stabilise === false ? undefined : new DepthRangeStabiliser({ smoothing: opts.smoothing });
    if (opts.weightsPath !== undefined) requireWeightsFile('depth', opts.weightsPath);
    this.#models = new AnnotatorModels(opts, (w, netH, netW) => DepthModel.load(this.#cfg, w, netH, netW, this.#opts));
  }

  process(frames: RgbFrames): Promise<ControlOutput> {
    // One chunk at a time per session: calls share the ORT sessions and the held range.
    return this.#queue.run(() => this.#process(frames));
  }

  async #process(frames: RgbFrames): Promise<ControlOutput> {
    assertFrameSize(frames);
    const { width: W, height: H, count: T } = frames;
    const [netH, netW] = depthNetSize(H, W, this.#cfg.inputSize);
    const model = await this.#models.forSize(netH, netW);
    const out = allocRgbFrames(W, H, T);
    for (let start = 0; start < T; start += this.#framesPerCall) {
      const call = sliceFrames(frames, start, Math.min(T, start + this.#framesPerCall));
      const depth = depthToFrameSize(await model.streamCall(depthNetInput(call, netH, netW)), H, W);
      const observed = depthRange(depth.data);
      const range = this.#stabiliser ? this.#stabiliser.update(observed) : observed;
      writeGrayTruncated(normaliseDepth(depth.data, range), out.data, start * W * H * 3);
    }
    return { frames: out };
  }

  reset(): void {
    this.#stabiliser?.reset();
  }

  async dispose(): Promise<void> {
    await this.#queue.idle(); // a running chunk still needs its sessions
    await this.#models.release();
  }
}
