/**
 * Runs the scribble network on a chunk: u8/255 in (no mean/std, no resize: the net runs at the
 * stream resolution), the sigmoid contour out, repeated to RGB and cast to uint8 by truncation
 * as scope's server does. Frames whose sides are not multiples of 4 come out 4⌈H/4⌉ × 4⌈W/4⌉;
 * we keep the top-left H×W (upstream leaves the mismatch to its caller).
 */
import type { RgbFrames } from '../../frames.ts';
import { paramSource } from '../onnx/params.ts';
import type { WeightReader } from '../weights/reader.ts';
import { ModelSession, type SessionOptions } from '../runtime/session.ts';
import { f32, type F32Tensor } from '../tensor.ts';
import { buildScribbleGraph, countResidualBlocks } from './graph.ts';

export interface ScribbleRun {
  /** [T, 1, H', W'] sigmoid output. */
  readonly contour: F32Tensor;
  readonly debug: Record<string, F32Tensor>;
}

const REQUIRED = ['model0.1.weight', 'model1.0.weight', 'model1.3.weight', 'model3.0.weight', 'model3.3.weight', 'model4.1.weight'];

/** u8 RGB frames → [T, 3, H, W] floats u8/255. */
export function scribbleInput(frames: RgbFrames): F32Tensor {
  const { width: W, height: H, count: T } = frames;
  const plane = H * W;
  const out = new Float32Array(T * 3 * plane);
  for (let t = 0; t < T; t++) {
    const src = t * plane * 3;
    const dst = t * 3 * plane;
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[dst + c * plane + p] = frames.data[src + p * 3 + c]! / 255;
  }
  return f32([T, 3, H, W], out);
}

/** Contour [T, 1, H', W'] → T,H,W,3 floats clamped to [0, 1] (top-left H×W). */
export function contourToVideo(contour: F32Tensor, H: number, W: number): Float32Array {
  const [T, , h, w] = contour.shape as [number, number, number, number];
  if (h < H || w < W) throw new Error(`scribble: contour ${h}×${w} is smaller than the frame ${H}×${W}`);
  const out = new Float32Array(T * H * W * 3);
  for (let t = 0; t < T; t++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = Math.min(1, Math.max(0, contour.data[(t * h + y) * w + x]!));
        const o = ((t * H + y) * W + x) * 3;
        out[o] = out[o + 1] = out[o + 2] = v;
      }
    }
  }
  return out;
}

export class ScribbleModel {
  readonly frames: number;
  readonly height: number;
  readonly width: number;
  readonly #session: ModelSession;
  readonly #debug: boolean;

  private constructor(frames: number, height: number, width: number, session: ModelSession, debug: boolean) {
    this.frames = frames;
    this.height = height;
    this.width = width;
    this.#session = session;
    this.#debug = debug;
  }

  static async load(weights: WeightReader, frames: number, height: number, width: number, opts: SessionOptions & { debug?: boolean } = {}): Promise<ScribbleModel> {
    for (const k of REQUIRED) if (!weights.has(k)) throw new Error(`${weights.path}: missing weight "${k}" (not a VACE scribble ContourInference checkpoint?)`);
    const residualBlocks = countResidualBlocks((k) => weights.has(k));
    const graph = buildScribbleGraph({ residualBlocks }, frames, height, width, (g) => paramSource(g, weights), { debug: opts.debug });
    return new ScribbleModel(frames, height, width, await ModelSession.fromGraph(graph, opts), opts.debug ?? false);
  }

  async run(image: F32Tensor): Promise<ScribbleRun> {
    const want = [this.frames, 3, this.height, this.width];
    if (image.shape.join() !== want.join()) throw new Error(`scribble: input [${image.shape.join(', ')}] does not fit the model built for [${want.join(', ')}]`);
    const out = await this.#session.run({ image });
    const debug: Record<string, F32Tensor> = {};
    if (this.#debug) for (const k of ['model1', 'model2']) debug[k] = out[k] as F32Tensor;
    return { contour: out.contour as F32Tensor, debug };
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}
