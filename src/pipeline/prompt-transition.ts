/**
 * The prompt-transition schedule: when a new prompt's embedding is ready, the conditioning moves
 * from the current one to the new one over N chunks (default 4): chunk k of the transition
 * (k = 1…N) is conditioned on blend(old, new, α = k/N), so the last chunk uses the new prompt
 * alone. Nothing resets; the session keeps streaming.
 *
 * Recache: ONCE per transition, at the boundary before the chunk whose conditioning reaches
 * the new prompt (α = 1), the streaming generator must re-run the last window of clean latent
 * frames at t = 0 with the new embeddings, keeping the sink, so later chunks see history that is
 * consistent with the new prompt. Re-running earlier (at α = 1/N) would give history that is
 * "more new" than the chunk attending to it. With N = 1 this is LongLive's instant switch +
 * recache. The request is returned by `next()` (the hook the generator acts on) and emitted to
 * `onRecache` listeners (for observers: logs, metrics, tests). This module does not touch the
 * KV cache itself.
 *
 * A prompt that arrives mid-transition starts a new transition from the conditioning the last
 * chunk used; the unfinished transition's recache never happens, the new one's happens once.
 */
import type { F32Tensor } from '../model/tensor.ts';
import { blendEmbeddings, type Interpolation } from './prompt-blend.ts';

export const DEFAULT_TRANSITION_CHUNKS = 4;

export interface TransitionOptions {
  /** Chunks over which conditioning moves from old to new (≥ 1; 1 = instant switch). */
  chunks?: number;
  interpolation?: Interpolation;
}

export interface RecacheRequest {
  /** Which transition asked (increments per accepted prompt change). */
  readonly transitionId: number;
  /** Cache key of the new prompt (its cleaned text), for logs. */
  readonly promptKey: string;
  /** Embeddings to re-run the last window of clean latent frames with (the new prompt's). */
  readonly embedding: F32Tensor;
}

export interface ChunkConditioning {
  /** Prompt embeddings this chunk is generated with. */
  readonly embedding: F32Tensor;
  /** Position in the current transition: 1 = fully the newest prompt. */
  readonly alpha: number;
  /** Present on exactly one chunk per completed transition: recache BEFORE generating this chunk. */
  readonly recache?: RecacheRequest;
  readonly transitionId: number;
}

interface Active {
  id: number;
  from: F32Tensor;
  to: F32Tensor;
  key: string;
  chunks: number;
  interpolation: Interpolation;
  step: number; // chunks already emitted in this transition
}

function checkChunks(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`prompt transition: chunks must be an integer ≥ 1, got ${n}`);
  return n;
}

export class PromptTransition {
  readonly #defaults: Required<TransitionOptions>;
  readonly #listeners = new Set<(r: RecacheRequest) => void>();
  #current: F32Tensor;
  #currentKey: string;
  #active: Active | undefined;
  #nextId = 1;
  #lastId = 0;

  /** `initial` is the conditioning of the first prompt (no transition, no recache). */
  constructor(initial: F32Tensor, initialKey: string, opts: TransitionOptions = {}) {
    this.#defaults = { chunks: checkChunks(opts.chunks ?? DEFAULT_TRANSITION_CHUNKS), interpolation: opts.interpolation ?? 'linear' };
    this.#current = initial;
    this.#currentKey = initialKey;
  }

  /** True while chunks are still moving towards the newest prompt. */
  get transitioning(): boolean {
    return this.#active !== undefined;
  }

  /** Key of the prompt the conditioning is at or moving to. */
  get targetKey(): string {
    return this.#active?.key ?? this.#currentKey;
  }

  /** Subscribes to recache requests; returns the unsubscribe function. */
  onRecache(listener: (r: RecacheRequest) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A new prompt's embeddings are ready. Returns false (nothing changes) when it is the prompt
   * already targeted. Options override the defaults for this transition only.
   */
  setTarget(embedding: F32Tensor, key: string, opts: TransitionOptions = {}): boolean {
    if (key === this.targetKey) return false;
    if (embedding.shape.join() !== this.#current.shape.join()) {
      throw new Error(`prompt transition: new embeddings [${embedding.shape.join(', ')}] do not match the current [${this.#current.shape.join(', ')}]`);
    }
    this.#active = {
      id: this.#nextId++,
      from: this.#current,
      to: embedding,
      key,
      chunks: checkChunks(opts.chunks ?? this.#defaults.chunks),
      interpolation: opts.interpolation ?? this.#defaults.interpolation,
      step: 0,
    };
    return true;
  }

  /** The conditioning for the next chunk (call once per chunk, at the chunk boundary). */
  next(): ChunkConditioning {
    const a = this.#active;
    if (!a) return { embedding: this.#current, alpha: 1, transitionId: this.#lastId };
    a.step++;
    const alpha = a.step / a.chunks;
    if (a.step < a.chunks) {
      this.#current = blendEmbeddings([{ embedding: a.from, weight: 1 - alpha }, { embedding: a.to, weight: alpha }], a.interpolation);
      return { embedding: this.#current, alpha, transitionId: a.id };
    }
    this.#current = a.to;
    this.#currentKey = a.key;
    this.#active = undefined;
    this.#lastId = a.id;
    const recache: RecacheRequest = { transitionId: a.id, promptKey: a.key, embedding: a.to };
    for (const l of this.#listeners) {
      try {
        l(recache);
      } catch {
        // Observers must not break the stream: the request is still returned to the generator.
      }
    }
    return { embedding: a.to, alpha: 1, recache, transitionId: a.id };
  }
}
