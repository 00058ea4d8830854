/**
 * What the weight-backed annotators (depth, scribble) share: the checkpoint opened on first use
 * (or weights given directly, in tests), and one loaded model for the current frame size — a new
 * size loads a new graph and releases the old one; a failed load is retried on the next chunk.
 */
import type { WeightReader } from '../src/model/onnx/params.ts';
import { openCheckpoint, type Checkpoint } from '../src/model/weights/checkpoint.ts';

export class AnnotatorModels<M extends { release(): Promise<void> }> {
  readonly #path: string | undefined;
  readonly #given: WeightReader | undefined;
  readonly #load: (weights: WeightReader, height: number, width: number) => Promise<M>;
  #checkpoint: Checkpoint | undefined;
  #model: Promise<M> | undefined;
  #size = '';

  /** `path` is used when no `weights` are given. */
  constructor(source: { path?: string; weights?: WeightReader }, load: (weights: WeightReader, height: number, width: number) => Promise<M>) {
    this.#path = source.path;
    this.#given = source.weights;
    this.#load = load;
  }

  #weights(): WeightReader {
    if (this.#given) return this.#given;
    this.#checkpoint ??= openCheckpoint(this.#path!);
    return this.#checkpoint;
  }

  async forSize(height: number, width: number): Promise<M> {
    const key = `${height}x${width}`;
    if (this.#model && this.#size === key) return this.#model;
    const old = this.#model;
    this.#size = key;
    this.#model = this.#load(this.#weights(), height, width);
    this.#model.catch(() => (this.#size = '')); // a failed load is retried on the next chunk
    if (old) await (await old.catch(() => undefined))?.release();
    return this.#model;
  }

  async release(): Promise<void> {
    const m = this.#model;
    this.#model = undefined;
    this.#size = '';
    if (m) await (await m.catch(() => undefined))?.release();
    this.#checkpoint?.close();
    this.#checkpoint = undefined;
  }
}
