/** Spawning ffmpeg children with the error handling every codec process needs. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const FFMPEG_BIN = process.env.VACE_FFMPEG ?? 'ffmpeg';

export interface FfmpegChild {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Last lines ffmpeg wrote to stderr, for error messages. */
  stderrTail(): string;
  /** Writes to stdin; returns false (and writes nothing) once the process is gone. */
  write(data: Uint8Array): boolean;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  kill(): void;
}

let live = 0;

/** ffmpeg children of this process still running (a session that ended must leave none behind). */
export function liveFfmpegChildren(): number {
  return live;
}

export function spawnFfmpeg(args: readonly string[]): FfmpegChild {
  live++;
  const proc = spawn(FFMPEG_BIN, ['-hide_banner', '-loglevel', 'error', '-nostdin', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let tail = '';
  let alive = true;
  proc.stderr.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-2000);
  });
  // A child that dies (or is killed) turns writes into EPIPE; that is an end of stream, not a crash.
  proc.stdin.on('error', () => {
    alive = false;
  });
  let counted = true;
  const uncount = () => {
    if (counted) live--;
    counted = false;
  };
  const exited = new Promise<number | null>((resolve) => {
    proc.on('error', (err) => {
      alive = false;
      uncount();
      tail += `\n${err.message}`;
      resolve(null);
    });
    proc.on('exit', (code) => {
      alive = false;
      uncount();
      resolve(code);
    });
  });
  return {
    proc,
    stderrTail: () => tail.trim(),
    write(data) {
      if (!alive || proc.stdin.destroyed) return false;
      proc.stdin.write(data);
      return true;
    },
    exited,
    kill() {
      if (!alive) return;
      alive = false;
      proc.stdin.destroy();
      proc.kill('SIGKILL');
    },
  };
}

/** Cuts a byte stream into fixed-size records (raw video frames) with one copy per record. */
export class FixedRecordReader {
  readonly #size: number;
  #buf: Buffer;
  #fill = 0;

  constructor(size: number) {
    this.#size = size;
    this.#buf = Buffer.alloc(size);
  }

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(this.#size - this.#fill, chunk.length - off);
      chunk.copy(this.#buf, this.#fill, off, off + n);
      this.#fill += n;
      off += n;
      if (this.#fill === this.#size) {
        out.push(this.#buf);
        this.#buf = Buffer.alloc(this.#size);
        this.#fill = 0;
      }
    }
    return out;
  }
}
