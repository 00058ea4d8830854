/**
 * Prompt-embedding cache: least-recently-used, bounded in bytes, keyed by the CLEANED prompt text
 * (Wan's clean='whitespace'), so "a  cat " and "a cat" share one entry — they tokenise
 * identically. `getOrCompute` also shares one in-flight encode between concurrent callers.
 */
import { cleanPrompt } from '../src/model/text/prompt-clean.ts';
import type { F32Tensor } from '../src/model/tensor.ts';

export interface PromptCacheOptions<V> {
  /** Upper bound on the bytes held by all entries together. */
  maxBytes: number;
  /** Bytes one value holds (default: its data's byteLength). */
  sizeOf?: (value: V) => number;
  /** Prompt → cache key (default: Wan's prompt cleaning). */
  keyOf?: (prompt: string) => string;
}

interface Entry<V> {
  value: V;
  bytes: number;
}

export class PromptCache<V extends { data: ArrayBufferView } = F32Tensor> {
  readonly maxBytes: number;
  readonly #entries = new Map<string, Entry<V>>(); // insertion order = least recently used first
  readonly #pending = new Map<string, Promise<V>>();
  readonly #sizeOf: (value: V) => number;
  readonly #keyOf: (prompt: string) => string;
  #bytes = 0;
  #evictions = 0;

  constructor(opts: PromptCacheOptions<V>) {
    if (!Number.isFinite(opts.maxBytes) || opts.maxBytes < 0) throw new Error(`PromptCache: maxBytes must be a non-negative number, got ${opts.maxBytes}`);
    this.maxBytes = opts.maxBytes;
    this.#sizeOf = opts.sizeOf ?? ((v) => v.data.byteLength);
    this.#keyOf = opts.keyOf ?? cleanPrompt;
  }

  get bytes(): number {
    return this.#bytes;
  }
  get size(): number {
    return this.#entries.size;
  }
  /** Entries dropped to stay within maxBytes, since construction. */
  get evictions(): number {
    return this.#evictions;
  }

  key(prompt: string): string {
    return this.#keyOf(prompt);
  }

  has(prompt: string): boolean {
    return this.#entries.has(this.#keyOf(prompt));
  }

  /** Keys from least to most recently used. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  get(prompt: string): V | undefined {
    const key = this.#keyOf(prompt);
    const e = this.#entries.get(key);
    if (!e) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  /** Stores a value; returns false (and stores nothing) when it alone exceeds maxBytes. */
  set(prompt: string, value: V): boolean {
    return this.#store(this.#keyOf(prompt), value);
  }

  // Keys are stored as given: cleaning is not idempotent (HTML unescaping), so never clean twice.
  #store(key: string, value: V): boolean {
    const bytes = this.#sizeOf(value);
    this.#remove(key);
    if (bytes > this.maxBytes) return false;
    while (this.#bytes + bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next().value as string;
      this.#remove(oldest);
      this.#evictions++;
    }
    this.#entries.set(key, { value, bytes });
    this.#bytes += bytes;
    return true;
  }

  delete(prompt: string): boolean {
    return this.#remove(this.#keyOf(prompt));
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The cached value, or `compute(key)` once however many callers ask while it runs. */
  async getOrCompute(prompt: string, compute: (cleaned: string) => Promise<V>): Promise<V> {
    const key = this.#keyOf(prompt);
    const hit = this.get(prompt);
    if (hit) return hit;
    const running = this.#pending.get(key);
    if (running) return running;
    const p = compute(key).then(
      (v) => {
        this.#pending.delete(key);
        this.#store(key, v);
        return v;
      },
      (e: unknown) => {
        this.#pending.delete(key);
        throw e;
      },
    );
    this.#pending.set(key, p);
    return p;
  }

  #remove(key: string): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    this.#entries.delete(key);
    this.#bytes -= e.bytes;
    return true;
  }
}
