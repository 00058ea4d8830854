/**
 * What the weight-backed annotators (depth, scribble) share: the checkpoint opened on first use
 * (or weights given directly, in tests), and one loaded model for the current frame size — a new
 * size loads a new graph and releases the old one; a failed load is retried on the next chunk.
 */
import type { WeightReader } from '../src/model/weights/reader.ts';
import { openCheckpoint, type Checkpoint } from '../src/model/weights/checkpoint.ts';

/** Where an annotator's weights come from: a checkpoint file, or weights already open. */
export type AnnotatorCheckpoint = { readonly weightsPath: string; readonly weights?: undefined } | { readonly weights: WeightReader; readonly weightsPath?: undefined };

export class AnnotatorModels<M extends { release(): Promise<void> }> {
  readonly #source: AnnotatorCheckpoint;
  readonly #load: (weights: WeightReader, height: number, width: number) => Promise<M>;
  #checkpoint: Checkpoint | undefined;
  #model: Promise<M> | undefined;
  #size = '';

  constructor(source: AnnotatorCheckpoint, load: (weights: WeightReader, height: number, width: number) => Promise<M>) {
    this.#source = source;
    this.#load = load;
  }

  #weights(): WeightReader {
    if (this.#source.weights) return this.#source.weights;
    this.#checkpoint ??= openCheckpoint(this.#source.weightsPath);
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
