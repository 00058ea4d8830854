/**
 * Bounded queues and the even-sampling drop policy.
 *
 * When the camera outruns generation, frames pile up while a chunk is being made. Taking the
 * oldest frames would let the lag grow without end (the reference project's 10 s of lag); taking
 * only the newest would turn motion into a jump. So a chunk samples evenly across everything
 * queued and the rest is dropped, and the queue itself never holds more than its capacity.
 */

/** Indices of `want` items spread evenly over `0..have-1`, always including the newest. */
export function evenSampleIndices(have: number, want: number): number[] {
  if (!Number.isInteger(have) || !Number.isInteger(want) || have < 0 || want < 0) {
    throw new Error(`evenSampleIndices: have=${have} and want=${want} must be non-negative integers`);
  }
  if (want >= have) return Array.from({ length: have }, (_, i) => i);
  if (want === 0) return [];
  if (want === 1) return [have - 1];
  const out: number[] = [];
  for (let i = 0; i < want; i++) out.push(Math.round((i * (have - 1)) / (want - 1)));
  return out;
}

/** A FIFO with a hard capacity: pushing into a full queue evicts the oldest item (counted). */
export class BoundedQueue<T> {
  readonly capacity: number;
  #items: T[] = [];
  #dropped = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`queue capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Items dropped so far, by overflow or by sampling. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Adds an item; returns the evicted oldest item when the queue was full. */
  push(item: T): T | undefined {
    this.#items.push(item);
    if (this.#items.length > this.capacity) {
      this.#dropped++;
      return this.#items.shift();
    }
    return undefined;
  }

  /**
   * Removes everything queued and returns `want` items sampled evenly from it (the newest always
   * included); the others count as dropped. Returns undefined, taking nothing, when fewer than
   * `want` are queued.
   */
  takeEvenly(want: number): T[] | undefined {
    if (this.#items.length < want) return undefined;
    const all = this.#items;
    this.#items = [];
    const picked = evenSampleIndices(all.length, want).map((i) => all[i]);
    this.#dropped += all.length - picked.length;
    return picked;
  }

  clear(): void {
    this.#dropped += this.#items.length;
    this.#items = [];
  }
}
