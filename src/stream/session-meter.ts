/**
 * The session's running measurements: input and output frame rates, chunk count and time,
 * glass-to-glass latency (capture → leaving the pacer), frames dropped after the pipeline. Pure:
 * the caller passes the clock.
 */
import { RateCounter } from './pacer.ts';

export interface MeterReading {
  readonly chunks: number;
  readonly inputFps: number;
  readonly outputFps: number;
  /** Smoothed time from taking a chunk to having its output, ms (null before the first chunk). */
  readonly chunkMs: number | null;
  /** Smoothed capture-to-output latency, ms (null before the first output frame). */
  readonly latencyMs: number | null;
  readonly outputFrames: number;
  readonly downstreamDrops: number;
}

/** Exponential moving average; `alpha` is the weight of the newest sample. */
function ema(avg: number | undefined, sample: number, alpha: number): number {
  return avg === undefined ? sample : avg + alpha * (sample - avg);
}

/** Rounds a reading to 0.1 for display. */
export function roundTenth(x: number): number {
  return Math.round(x * 10) / 10;
}

export class SessionMeter {
  readonly #inRate = new RateCounter();
  readonly #outRate = new RateCounter();
  #chunks = 0;
  #chunkMs?: number;
  #latencyMs?: number;
  #outputFrames = 0;
  #downstreamDrops = 0;

  frameIn(now: number): void {
    this.#inRate.mark(now);
  }

  /** A chunk's output is ready; returns its index. */
  chunkDone(ms: number): number {
    this.#chunkMs = ema(this.#chunkMs, ms, 0.3);
    return this.#chunks++;
  }

  frameOut(now: number, capturedAt: number): void {
    this.#outRate.mark(now);
    this.#outputFrames++;
    this.#latencyMs = ema(this.#latencyMs, now - capturedAt, 0.2);
  }

  /** Frames the media bridge had to drop after the pipeline (encoder back-pressure). */
  downstreamDrop(count: number): void {
    this.#downstreamDrops += count;
  }

  /** Chunks finished so far. */
  get chunks(): number {
    return this.#chunks;
  }

  /** The measurements at `now`, rounded to 0.1. */
  read(now: number): MeterReading {
    return {
      chunks: this.#chunks,
      inputFps: roundTenth(this.#inRate.perSecond(now)),
      outputFps: roundTenth(this.#outRate.perSecond(now)),
      chunkMs: this.#chunkMs === undefined ? null : roundTenth(this.#chunkMs),
      latencyMs: this.#latencyMs === undefined ? null : roundTenth(this.#latencyMs),
      outputFrames: this.#outputFrames,
      downstreamDrops: this.#downstreamDrops,
    };
  }
}
