/**
 * RGB frames → VP8 through an ffmpeg child with realtime settings. Back-pressure: when two frames
 * are already inside the encoder, the new one is dropped (never queued — queued video is lag).
 * A keyframe request (PLI/FIR from a viewer) restarts the encoder, whose first frame is a
 * keyframe; ffmpeg has no way to force one into a running encode from outside.
 */
import type { RgbFrames } from '../frames.ts';
import { spawnFfmpeg, type FfmpegChild } from './ffmpeg-process.ts';
import { IvfReader, isVp8Keyframe } from './ivf.ts';

export interface EncodedFrame {
  readonly data: Buffer;
  readonly keyframe: boolean;
}

export interface FrameEncoderOptions {
  readonly onFrame: (frame: EncodedFrame) => void;
  readonly onError?: (message: string) => void;
  readonly bitrateKbps?: number;
  /** Frames between forced keyframes (default 60). */
  readonly keyframeInterval?: number;
  /** Frames allowed inside the encoder before new ones are dropped (default 2). */
  readonly maxPending?: number;
}

export class FrameEncoder {
  readonly #opts: FrameEncoderOptions;
  #child?: FfmpegChild;
  #size?: { width: number; height: number };
  #pending = 0;
  #dropped = 0;
  #encoded = 0;
  #closed = false;
  #keyframeWanted = false;
  #lastRestart = 0;
  #outputSinceRestart = 0;

  constructor(opts: FrameEncoderOptions) {
    this.#opts = opts;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get encoded(): number {
    return this.#encoded;
  }

  /** Queues a frame for encoding; returns false when it was dropped for back-pressure. */
  encode(frame: RgbFrames): boolean {
    if (this.#closed) return false;
    if (frame.count !== 1) throw new Error(`encode takes one frame, got ${frame.count}`);
    const sizeChanged = !this.#size || this.#size.width !== frame.width || this.#size.height !== frame.height;
    if (sizeChanged || this.#keyframeWanted || !this.#child) this.#restart(frame.width, frame.height);
    if (this.#pending >= (this.#opts.maxPending ?? 2)) {
      this.#dropped++;
      return false;
    }
    this.#pending++;
    if (!this.#child!.write(frame.data)) {
      this.#pending--;
      this.#dropped++;
      return false;
    }
    return true;
  }

  /**
   * Next frame starts a fresh encode (a keyframe). Ignored while a fresh encoder has not yet
   * produced its first (key)frame, and rate-limited, so a receiver's PLI storm at start-up
   * cannot keep the encoder restarting.
   */
  requestKeyframe(): void {
    if (!this.#child || this.#outputSinceRestart === 0) return;
    if (performance.now() - this.#lastRestart > 300) this.#keyframeWanted = true;
  }

  #restart(width: number, height: number): void {
    this.#keyframeWanted = false;
    this.#lastRestart = performance.now();
    this.#child?.kill();
    this.#pending = 0;
    this.#outputSinceRestart = 0;
    this.#size = { width, height };
    const child = spawnFfmpeg([
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-r', '30', '-i', 'pipe:0',
      '-vsync', 'passthrough',
      // One thread: on a busy machine libvpx's thread sync cost more than it gained (measured
      // 120 fps with one thread against 20 fps with two at 640×360 while other work ran).
      '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '10', '-lag-in-frames', '0', '-error-resilient', '1',
      '-b:v', `${this.#opts.bitrateKbps ?? 2000}k`, '-maxrate', `${this.#opts.bitrateKbps ?? 2000}k`, '-bufsize', `${this.#opts.bitrateKbps ?? 2000}k`,
      '-g', String(this.#opts.keyframeInterval ?? 60), '-threads', '1', '-pix_fmt', 'yuv420p',
      '-flush_packets', '1', '-f', 'ivf', 'pipe:1',
    ]);
    this.#child = child;
    const reader = new IvfReader();
    child.proc.stdout.on('data', (chunk: Buffer) => {
      if (this.#child !== child) return;
      for (const f of reader.push(chunk)) {
        this.#pending = Math.max(0, this.#pending - 1);
        this.#encoded++;
        this.#outputSinceRestart++;
        this.#opts.onFrame({ data: f.data, keyframe: isVp8Keyframe(f.data) });
      }
    });
    void child.exited.then((code) => {
      if (this.#child === child && !this.#closed) {
        this.#child = undefined;
        this.#opts.onError?.(`video encoder (ffmpeg libvpx) exited with code ${code}: ${child.stderrTail() || 'no message'}`);
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const c = this.#child;
    this.#child = undefined;
    c?.kill();
    await c?.exited;
  }
}
