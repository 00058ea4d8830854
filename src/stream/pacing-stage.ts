/**
 * Fourth stage: chunks in, single frames out at an even rate. A chunk is split into frames that
 * inherit their camera frame's timing and scheduled over the measured chunk interval (pacer.ts);
 * every input — a new chunk, or just the time now — returns the frames due. The driver's one timer
 * asks again at `nextDueAt`.
 */
import { unpackChunk } from './chunker.ts';
import type { ChunkResult } from './generate-stage.ts';
import { Pacer } from './pacer.ts';
import type { Stage } from './stage.ts';
import type { TimedFrame } from './types.ts';

export interface PacingInput {
  readonly now: number;
  /** A chunk to schedule (its frames replace what is left of the previous chunk). */
  readonly chunk?: ChunkResult;
}

export class PacingStage implements Stage<PacingInput, TimedFrame> {
  readonly #pacer = new Pacer();

  processInput({ now, chunk }: PacingInput): TimedFrame[] {
    if (chunk) this.#pacer.enqueue(unpackChunk(chunk.frames, chunk.batch), now);
    return this.#pacer.takeDue(now);
  }

  /** When the next frame is due, or undefined when nothing is scheduled. */
  get nextDueAt(): number | undefined {
    return this.#pacer.nextDueAt();
  }

  /** Frames dropped because the next chunk came before they were due. */
  get dropped(): number {
    return this.#pacer.dropped;
  }

  /** Measured interval between chunks (ms), the rate the output is paced at. */
  get chunkIntervalMs(): number | undefined {
    return this.#pacer.chunkIntervalMs;
  }

  clear(): void {
    this.#pacer.clear();
  }
}
