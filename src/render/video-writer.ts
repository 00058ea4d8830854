/** Encodes rgb24 frames to an H.264 MP4 (libx264, yuv420p) through an ffmpeg child, honouring pipe backpressure. */
import { spawnFfmpeg, type FfmpegChild } from '../media/ffmpeg-process.ts';
import type { RgbFrames } from '../frames.ts';
import type { FrameRate } from './probe.ts';

export interface VideoWriterOptions {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly frameRate: FrameRate;
  /** x264 constant rate factor (default 18: visually near-lossless). */
  readonly crf?: number;
}

export class Mp4Writer {
  readonly #child: FfmpegChild;
  readonly #opts: VideoWriterOptions;
  readonly #frameBytes: number;
  #frames = 0;
  #closed = false;

  constructor(opts: VideoWriterOptions) {
    const { width, height, frameRate } = opts;
    if (width % 2 || height % 2) throw new Error(`yuv420p output needs even sizes, got ${width}×${height}`);
    this.#opts = opts;
    this.#frameBytes = width * height * 3;
    this.#child = spawnFfmpeg([
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', `${frameRate.num}/${frameRate.den}`, '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(opts.crf ?? 18), '-pix_fmt', 'yuv420p', '-movflags', '+faststart',
      '-y', opts.path,
    ]);
  }

  get framesWritten(): number {
    return this.#frames;
  }

  /** Writes frames [from, to) of a batch; resolves when the pipe has room again. */
  async write(frames: RgbFrames, from = 0, to = frames.count): Promise<void> {
    if (this.#closed) throw new Error('Mp4Writer: write after finish');
    if (frames.width !== this.#opts.width || frames.height !== this.#opts.height) {
      throw new Error(`encoder takes ${this.#opts.width}×${this.#opts.height} frames, got ${frames.width}×${frames.height}`);
    }
    if (to <= from) return;
    const bytes = frames.data.subarray(from * this.#frameBytes, to * this.#frameBytes);
    const stdin = this.#child.proc.stdin;
    if (stdin.destroyed || !stdin.writable) throw this.#failure('the encoder closed its input');
    const ok = stdin.write(bytes);
    this.#frames += to - from;
    if (!ok) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => (cleanup(), resolve());
        const onGone = () => (cleanup(), reject(this.#failure('the encoder exited while frames were pending')));
        const cleanup = () => {
          stdin.off('drain', onDrain);
          stdin.off('close', onGone);
        };
        stdin.on('drain', onDrain);
        stdin.on('close', onGone);
      });
    }
  }

  /** Closes the input and waits for the MP4 to be finalised. */
  async finish(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.proc.stdin.end();
    const code = await this.#child.exited;
    if (code !== 0) throw this.#failure(`ffmpeg exit ${code}`);
  }

  /** Stops the encoder without finalising (on error); the partial file is the caller's to remove. */
  abort(): void {
    this.#closed = true;
    this.#child.kill();
  }

  #failure(what: string): Error {
    return new Error(`encoding ${this.#opts.path} failed (${what}): ${this.#child.stderrTail() || 'no message'}`);
  }
}
