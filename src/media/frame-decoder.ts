/**
 * Compressed camera video → RGB frames, through an ffmpeg child. VP8 goes in as IVF, H.264 as
 * an Annex-B byte stream; frames come out as raw rgb24 scaled to the session's processing size
 * (so a camera that changes resolution mid-stream cannot change the size the pipeline sees).
 */
import type { RgbFrames } from '../frames.ts';
import { FixedRecordReader, spawnFfmpeg, type FfmpegChild } from './ffmpeg-process.ts';
import { ivfFileHeader, ivfFrameHeader } from './ivf.ts';

export type VideoCodec = 'vp8' | 'h264';

export interface FrameDecoderOptions {
  readonly codec: VideoCodec;
  readonly width: number;
  readonly height: number;
  readonly onFrame: (frame: RgbFrames) => void;
  readonly onError?: (message: string) => void;
}

export class FrameDecoder {
  readonly #opts: FrameDecoderOptions;
  readonly #child: FfmpegChild;
  #frames = 0;
  #closed = false;
  #written = 0;

  constructor(opts: FrameDecoderOptions) {
    this.#opts = opts;
    const { width, height } = opts;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16 || width % 2 || height % 2) {
      throw new Error(`decoder size ${width}×${height} must be even integers ≥ 16`);
    }
    // low_delay: WebRTC H.264 has no B-frames, so the decoder must not hold frames for reordering.
    const input = opts.codec === 'vp8' ? ['-f', 'ivf'] : ['-flags', 'low_delay', '-f', 'h264'];
    this.#child = spawnFfmpeg([
      // Small probe so the first frame is not held back; no `-fflags nobuffer` (it drops the first keyframe).
      '-probesize', '32', '-analyzeduration', '0',
      // Frame threading delays output by one frame per thread.
      '-threads', '1',
      ...input, '-i', 'pipe:0',
      // Passthrough timing: the default constant-rate output logic holds a frame back to decide
      // on duplicates (measured: 2 frames behind the input without it, 1 with it).
      '-vsync', 'passthrough',
      '-vf', `scale=${width}:${height}`,
      '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1',
    ]);
    const reader = new FixedRecordReader(width * height * 3);
    this.#child.proc.stdout.on('data', (chunk: Buffer) => {
      for (const rec of reader.push(chunk)) {
        this.#frames++;
        if (!this.#closed) opts.onFrame({ width, height, count: 1, data: new Uint8Array(rec.buffer, rec.byteOffset, rec.byteLength) });
      }
    });
    void this.#child.exited.then((code) => {
      if (!this.#closed) opts.onError?.(`video decoder (ffmpeg ${opts.codec}) exited with code ${code}: ${this.#child.stderrTail() || 'no message'}`);
    });
    if (opts.codec === 'vp8') this.#child.write(ivfFileHeader('VP80', width, height));
  }

  get framesDecoded(): number {
    return this.#frames;
  }

  /** Feeds one depacketized frame (VP8 frame or H.264 access unit in Annex-B). */
  write(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.#opts.codec === 'vp8') this.#child.write(ivfFrameHeader(frame.length, this.#written));
    this.#child.write(frame);
    this.#written++;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.kill();
    await this.#child.exited;
  }
}
