/**
 * Runs an annotator's chunks one at a time, in call order (they share ORT sessions and, for
 * depth, the held range, so every chunk must run and none may be skipped), holding at most
 * `limit` unfinished chunks. A chunk beyond that is rejected with a clear error instead of
 * queueing without bound behind a slow annotator.
 */
export class AnnotatorChunkQueue {
  readonly #control: string;
  readonly #limit: number;
  #tail: Promise<unknown> = Promise.resolve();
  #unfinished = 0;

  constructor(control: string, limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`${control} control: the chunk queue limit must be a positive integer, got ${limit}`);
    this.#control = control;
    this.#limit = limit;
  }

  /** Chunks queued or running now. */
  get size(): number {
    return this.#unfinished;
  }

  run<T>(chunk: () => Promise<T>): Promise<T> {
    if (this.#unfinished >= this.#limit) {
      return Promise.reject(new Error(`${this.#control} control: ${this.#limit} chunks are already queued; wait for one before sending the next`));
    }
    this.#unfinished++;
    const run = this.#tail.then(chunk).finally(() => this.#unfinished--);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every chunk queued so far has finished (either way). */
  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }
}
