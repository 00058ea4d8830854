/**
 * Render progress on stderr: frames done / total and output fps. On a TTY one line redrawn in
 * place; elsewhere (CI logs, pipes) a line at most every few seconds and at the end.
 */
/** Where progress is written: a terminal or a log (the CLI's stderr satisfies it). */
export interface ProgressOutput {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface RenderProgressState {
  framesDone: number;
  /** Input frames expected (null: unknown). */
  framesTotal: number | null;
  framesOut: number;
  chunksDone: number;
  elapsedSeconds: number;
}

export function formatRenderProgress(s: RenderProgressState, barWidth = 24): string {
  const fps = s.elapsedSeconds > 0 ? s.framesOut / s.elapsedSeconds : 0;
  const total = s.framesTotal !== null ? Math.max(s.framesTotal, s.framesDone) : null;
  const frac = total ? s.framesDone / total : 0;
  const filled = Math.round(Math.min(1, frac) * barWidth);
  const bar = total ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ` : '';
  return `render ${bar}${s.framesDone}/${total ?? '?'} frames  ${fps.toFixed(1)} fps  ${s.chunksDone} chunk${s.chunksDone === 1 ? '' : 's'}`;
}

export class RenderProgressBar {
  readonly #out: ProgressOutput;
  readonly #intervalMs: number;
  #last = Number.NEGATIVE_INFINITY;
  /** The latest state's line when the log interval held it back (non-TTY). */
  #unprinted: string | null = null;
  #open = false;

  constructor(out: ProgressOutput, opts: { intervalMs?: number } = {}) {
    this.#out = out;
    this.#intervalMs = opts.intervalMs ?? 5000;
  }

  update(s: RenderProgressState, now = Date.now()): void {
    const line = formatRenderProgress(s);
    if (this.#out.isTTY) {
      this.#out.write(`\r\x1b[2K${line}`);
      this.#open = true;
    } else if (now - this.#last >= this.#intervalMs) {
      this.#out.write(line + '\n');
      this.#last = now;
      this.#unprinted = null;
    } else {
      this.#unprinted = line;
    }
  }

  /** Ends the bar: closes the TTY line, or logs the final state if the interval held it back. */
  finish(): void {
    if (this.#open) this.#out.write('\n');
    else if (this.#unprinted !== null) this.#out.write(this.#unprinted + '\n');
    this.#open = false;
    this.#unprinted = null;
  }
}
