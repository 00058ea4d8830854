/**
 * Reference-hint cache: when only static inputs condition a session (reference images and/or
 * an extension anchor, no per-chunk control frames), their VACE context is encoded once and
 * reused for every chunk, and — unless exact recomputation is asked for — so are the VACE hints
 * of each denoising step. Entries are keyed by the identity of the reference inputs and the step
 * list, so a new upload (a new image object) or a new step list invalidates them.
 *
 * Reusing hints is an approximation we choose for speed: VACE block 0 adds the chunk's noisy
 * latents to the context (c₀ = before_proj(c) + x_t), so hints computed on the first chunk carry
 * that chunk's x_t. The reference appearance dominates the hints; the saving is every VACE
 * block of every step of every later chunk. `mode: 'recompute'` keeps the context cache but
 * recomputes hints per chunk (the upstream numerics).
 */
import type { F32Tensor } from '../src/model/tensor.ts';

export type ReferenceHintMode = 'reuse' | 'recompute';

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A stable identity for an input object (the same upload keeps its id; a new one gets a new id). */
export function inputIdentity(o: object | undefined): string {
  if (!o) return '-';
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return String(id);
}

export interface ReferenceHintStats {
  contextBuilds: number;
  hintComputes: number;
  hintHits: number;
  invalidations: number;
}

export class ReferenceHintCache {
  readonly mode: ReferenceHintMode;
  #key: string | undefined;
  #context: Promise<F32Tensor> | undefined;
  readonly #hints = new Map<string, F32Tensor>();
  readonly stats: ReferenceHintStats = { contextBuilds: 0, hintComputes: 0, hintHits: 0, invalidations: 0 };

  constructor(mode: ReferenceHintMode = 'reuse') {
    this.mode = mode;
  }

  /** Key for a set of static inputs. */
  static keyOf(inputs: { references?: readonly object[]; firstFrame?: object; lastFrame?: object }, extra = ''): string {
    return [
      (inputs.references ?? []).map(inputIdentity).join(','),
      inputIdentity(inputs.firstFrame),
      inputIdentity(inputs.lastFrame),
      extra,
    ].join('|');
  }

  #select(key: string): void {
    if (this.#key === key) return;
    if (this.#key !== undefined) this.stats.invalidations++;
    this.#key = key;
    this.#context = undefined;
    this.#hints.clear();
  }

  /** The encoded VACE context for `key`, built once. */
  context(key: string, build: () => Promise<F32Tensor>): Promise<F32Tensor> {
    this.#select(key);
    if (!this.#context) {
      this.stats.contextBuilds++;
      const p = build();
      this.#context = p;
      // A failed build must not poison later chunks.
      p.catch(() => {
        if (this.#context === p) this.#context = undefined;
      });
    }
    return this.#context;
  }

  /** Hints for denoising step `step` at timestep `t` under `key`; computed once in 'reuse' mode. */
  async hints(key: string, step: number, t: number, compute: () => Promise<F32Tensor>): Promise<F32Tensor> {
    this.#select(key);
    if (this.mode === 'recompute') {
      this.stats.hintComputes++;
      return compute();
    }
    const k = `${step}@${t}`;
    const hit = this.#hints.get(k);
    if (hit) {
      this.stats.hintHits++;
      return hit;
    }
    this.stats.hintComputes++;
    const h = await compute();
    if (this.#key === key) this.#hints.set(k, h);
    return h;
  }

  clear(): void {
    this.#key = undefined;
    this.#context = undefined;
    this.#hints.clear();
  }
}
