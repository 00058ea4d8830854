/**
 * Output pacing. A generator hands over a whole chunk at once; showing it at once and then
 * freezing looks like stutter, so frames are spread over the time the next chunk will take,
 * measured from recent chunks. Pure: the caller passes the clock.
 */
import type { TimedFrame } from './types.ts';

/** Exponential moving average of the gap between events (chunk completions), in ms. */
export class IntervalMeter {
  readonly #alpha: number;
  #last?: number;
  #avg?: number;

  constructor(alpha = 0.3) {
    this.#alpha = alpha;
  }

  mark(now: number): void {
    if (this.#last !== undefined) {
      const gap = now - this.#last;
      this.#avg = this.#avg === undefined ? gap : this.#avg + this.#alpha * (gap - this.#avg);
    }
    this.#last = now;
  }

  /** Average gap, or undefined before two marks. */
  get averageMs(): number | undefined {
    return this.#avg;
  }
}

/** Events per second over a sliding window. */
export class RateCounter {
  readonly #windowMs: number;
  #times: number[] = [];

  constructor(windowMs = 2000) {
    this.#windowMs = windowMs;
  }

  mark(now: number): void {
    this.#times.push(now);
    this.#trim(now);
  }

  perSecond(now: number): number {
    this.#trim(now);
    if (this.#times.length < 2) return 0;
    const span = Math.max(now - this.#times[0], 1);
    return ((this.#times.length - 1) * 1000) / span;
  }

  #trim(now: number): void {
    while (this.#times.length > 0 && now - this.#times[0] > this.#windowMs) this.#times.shift();
  }
}

export interface PacedFrame {
  readonly frame: TimedFrame;
  readonly dueAt: number;
}

export class Pacer {
  readonly #meter = new IntervalMeter();
  #pending: PacedFrame[] = [];
  #dropped = 0;

  /**
   * Schedules a chunk's frames evenly over the measured chunk interval, starting now. Frames of
   * the previous chunk still pending are dropped: a new chunk means we are behind, and holding
   * them would add lag that never drains.
   */
  enqueue(frames: readonly TimedFrame[], now: number): void {
    this.#meter.mark(now);
    this.#dropped += this.#pending.length;
    const interval = this.#meter.averageMs;
    const step = interval === undefined || frames.length <= 1 ? 0 : interval / frames.length;
    this.#pending = frames.map((frame, i) => ({ frame, dueAt: now + i * step }));
  }

  /** Frames due at `now`, in order, removed from the schedule. */
  takeDue(now: number): TimedFrame[] {
    let n = 0;
    while (n < this.#pending.length && this.#pending[n].dueAt <= now) n++;
    return this.#pending.splice(0, n).map((p) => p.frame);
  }

  /** When the next frame is due, or undefined when nothing is pending. */
  nextDueAt(): number | undefined {
    return this.#pending[0]?.dueAt;
  }

  get pending(): number {
    return this.#pending.length;
  }

  get dropped(): number {
    return this.#dropped;
  }

  /** Measured interval between chunks (ms), the generation rate the output is paced at. */
  get chunkIntervalMs(): number | undefined {
    return this.#meter.averageMs;
  }

  clear(): void {
    this.#pending = [];
  }
}
