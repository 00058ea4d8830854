/**
 * First stage: camera frames in, camera chunks out. Frames wait in the bounded queue (oldest
 * evicted when full); a chunk is taken when the driver is ready for one, sampled evenly over
 * everything queued (frame-queue.ts explains why), and packed into one buffer.
 */
import type { RgbFrames } from '../frames.ts';
import { packChunk } from './chunker.ts';
import { BoundedQueue } from './frame-queue.ts';
import type { Stage } from './stage.ts';
import type { TimedFrame } from './types.ts';

/** A chunk of camera frames: the packed buffer and the frames it came from (timing and seq). */
export interface CameraChunk {
  readonly batch: readonly TimedFrame[];
  readonly frames: RgbFrames;
}

/** A decoded camera frame (count 1), or a request for a chunk of `take` frames. */
export type IntakeInput = { readonly frame: RgbFrames; readonly capturedAt: number } | { readonly take: number };

export class ChunkIntake implements Stage<IntakeInput, CameraChunk> {
  readonly #queue: BoundedQueue<TimedFrame>;
  #received = 0;
  #mixedSizeDrops = 0;
  #frameSize?: { width: number; height: number };

  constructor(capacity: number) {
    this.#queue = new BoundedQueue(capacity);
  }

  /** A frame is queued (no output); a request yields one chunk, or none while too few frames are queued. */
  processInput(input: IntakeInput): CameraChunk[] {
    if ('frame' in input) {
      this.#queue.push({ frame: input.frame, capturedAt: input.capturedAt, seq: this.#received++ });
      return [];
    }
    const batch = this.#queue.takeEvenly(input.take);
    if (!batch) return [];
    let frames: RgbFrames;
    try {
      frames = packChunk(batch);
    } catch {
      // The camera changed size mid-queue; drop the mixed batch and start afresh.
      this.#mixedSizeDrops += batch.length;
      return [];
    }
    this.#frameSize = { width: frames.width, height: frames.height };
    return [{ batch, frames }];
  }

  /** Whether a request for `frames` would be answered now. */
  has(frames: number): boolean {
    return this.#queue.size >= frames;
  }

  get queued(): number {
    return this.#queue.size;
  }

  /** Frames received so far (the next frame's seq). */
  get received(): number {
    return this.#received;
  }

  /** Frames dropped here: queue overflow, even sampling, mixed sizes, and what `clear` discarded. */
  get dropped(): number {
    return this.#queue.dropped + this.#mixedSizeDrops;
  }

  /** Size of the last chunk taken, i.e. of the camera as the session last saw it. */
  get frameSize(): { readonly width: number; readonly height: number } | undefined {
    return this.#frameSize;
  }

  clear(): void {
    this.#queue.clear();
  }
}
