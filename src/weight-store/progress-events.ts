/**
 * Progress events of the weight manager. Plain JSON-serialisable objects, so the same event
 * drives the terminal bar (progress.ts) and goes over REST/WebSocket to the client's models panel.
 */

export type ProgressPhase =
  | 'start' // about to fetch this file
  | 'resume' // a .part file was found; continuing from bytesDone
  | 'download' // bytes arriving
  | 'verify' // hashing (download finished, or `verify` command)
  | 'done' // file present and verified
  | 'skip' // file was already present and verified
  | 'error';

export interface ProgressEvent {
  preset?: string;
  /** Path under the models directory. */
  file: string;
  /** 1-based position of the file in the preset, and the preset's file count. */
  fileIndex: number;
  fileCount: number;
  phase: ProgressPhase;
  bytesDone: number;
  /** null when neither the registry nor the server told the size. */
  bytesTotal: number | null;
  /** Smoothed over the last few seconds; 0 before there is data. */
  bytesPerSecond: number;
  /** Seconds left at the current rate; null when the total or the rate is unknown. */
  etaSeconds: number | null;
  /** Set on phase 'error'. */
  error?: { code: string; message: string };
}

export type ProgressListener = (event: ProgressEvent) => void;

/** Transfer rate over a sliding time window (robust to bursty chunks, unlike last-chunk rates). */
export class RateMeter {
  readonly #windowMs: number;
  readonly #samples: { t: number; bytes: number }[] = [];

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  /** Record the cumulative byte count at time t (ms). */
  add(t: number, cumulativeBytes: number): void {
    this.#samples.push({ t, bytes: cumulativeBytes });
    while (this.#samples.length > 2 && t - this.#samples[1]!.t >= this.#windowMs) this.#samples.shift();
  }

  bytesPerSecond(): number {
    if (this.#samples.length < 2) return 0;
    const first = this.#samples[0]!;
    const last = this.#samples[this.#samples.length - 1]!;
    const dt = last.t - first.t;
    return dt > 0 ? ((last.bytes - first.bytes) * 1000) / dt : 0;
  }

  etaSeconds(done: number, total: number | null): number | null {
    if (total === null) return null;
    if (done >= total) return 0;
    const rate = this.bytesPerSecond();
    return rate > 0 ? (total - done) / rate : null;
  }
}
