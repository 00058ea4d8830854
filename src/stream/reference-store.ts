/**
 * A session's uploaded reference images, by id. The same object is handed to the generator every
 * chunk, which tells it the reference is unchanged (no re-encode). Bounded: the oldest images
 * are evicted, never the one in use.
 */
import type { RgbImage } from '../pipeline/reference-images.ts';

export class ReferenceStore {
  readonly #capacity: number;
  readonly #images = new Map<string, RgbImage>();
  #count = 0;

  constructor(capacity = 4) {
    this.#capacity = capacity;
  }

  /** Stores `image` and returns its id; `inUse` (the id the session uses now) is never evicted. */
  add(image: RgbImage, inUse: string | null): string {
    const id = `ref-${++this.#count}`;
    this.#images.set(id, image);
    for (const old of this.#images.keys()) {
      if (this.#images.size <= this.#capacity) break;
      if (old !== inUse && old !== id) this.#images.delete(old);
    }
    return id;
  }

  has(id: string): boolean {
    return this.#images.has(id);
  }

  get(id: string): RgbImage | undefined {
    return this.#images.get(id);
  }

  get size(): number {
    return this.#images.size;
  }
}
