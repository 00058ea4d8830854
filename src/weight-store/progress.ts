/**
 * Terminal progress bar for weight-manager progress events. On a TTY one line per file is
 * redrawn in place; elsewhere (CI logs, pipes) it prints a line per phase change and at most one
 * progress line every few seconds, so logs stay readable.
 */
import { formatBytes } from './errors.ts';
import type { ProgressEvent, ProgressListener } from './progress-events.ts';

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, '0')}s`;
  return `${sec}s`;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '#'.repeat(filled) + '-'.repeat(width - filled);
}

function fitName(name: string, width: number): string {
  if (name.length <= width) return name.padEnd(width);
  return '…' + name.slice(name.length - width + 1);
}

const PHASE_WORD: Partial<Record<ProgressEvent['phase'], string>> = {
  start: 'starting',
  resume: 'resuming',
  verify: 'verifying',
  done: 'done',
  skip: 'already verified',
  error: 'FAILED',
};

/** One line, at most `columns` characters, describing the event. */
export function formatProgressLine(e: ProgressEvent, columns = 100): string {
  const head = `[${e.fileIndex}/${e.fileCount}] `;
  const total = e.bytesTotal;
  const pct = total ? Math.floor((100 * e.bytesDone) / total) : null;
  let tail: string;
  if (e.phase === 'download' || (e.phase === 'verify' && e.bytesDone > 0)) {
    const amount = total !== null ? `${formatBytes(e.bytesDone)}/${formatBytes(total)}` : formatBytes(e.bytesDone);
    const rate = e.bytesPerSecond > 0 ? `${formatBytes(e.bytesPerSecond)}/s` : '';
    const eta = total !== null ? `ETA ${formatDuration(e.etaSeconds)}` : '';
    const word = e.phase === 'verify' ? 'verifying ' : '';
    const barW = 20;
    tail = [`${word}${pct !== null ? `${String(pct).padStart(3)}% [${bar(e.bytesDone / total!, barW)}]` : ''}`, amount, rate, eta]
      .filter(Boolean)
      .join('  ');
  } else if (e.phase === 'error') {
    tail = `FAILED: ${e.error?.message ?? 'unknown error'}`;
  } else {
    const size = total !== null ? ` (${formatBytes(total)})` : '';
    const at = e.phase === 'resume' ? ` from ${formatBytes(e.bytesDone)}` : '';
    tail = `${PHASE_WORD[e.phase] ?? e.phase}${at}${size}`;
  }
  // The error text is the point of an error line: let it run past the width.
  if (e.phase === 'error') return `${head}${e.file}  ${tail}`;
  const nameW = Math.max(12, columns - head.length - tail.length - 2);
  return `${head}${fitName(e.file, nameW)}  ${tail}`.slice(0, Math.max(columns, head.length + 14));
}

export interface TerminalOutput {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface TerminalProgress {
  onProgress: ProgressListener;
  /** End the current line (call when the command finishes or fails). */
  finish(): void;
}

export function createTerminalProgress(
  out: TerminalOutput = process.stderr,
  opts: { logIntervalMs?: number; now?: () => number } = {},
): TerminalProgress {
  const tty = out.isTTY === true;
  const now = opts.now ?? Date.now;
  const logInterval = opts.logIntervalMs ?? 5000;
  let openLine = false;
  let lastLog = Number.NEGATIVE_INFINITY;
  let lastKey = '';

  const final = (p: ProgressEvent['phase']) => p === 'done' || p === 'skip' || p === 'error';

  const onProgress: ProgressListener = (e) => {
    const columns = Math.max(40, (out.columns ?? 100) - 1);
    const line = formatProgressLine(e, columns);
    if (tty) {
      out.write(`\r\x1b[2K${line}`);
      openLine = true;
      if (final(e.phase)) {
        out.write('\n');
        openLine = false;
      }
      return;
    }
    const key = `${e.file}:${e.phase}`;
    const changed = key !== lastKey;
    if (changed || final(e.phase) || now() - lastLog >= logInterval) {
      out.write(line + '\n');
      lastLog = now();
      lastKey = key;
    }
  };

  return {
    onProgress,
    finish() {
      if (openLine) out.write('\n');
      openLine = false;
    },
  };
}
