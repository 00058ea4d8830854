/**
 * The one chunker: single RGB frames in, generator chunks (one RgbFrames of `count` frames) out,
 * and generated chunks back into single frames. The live session packs a batch it sampled from its
 * queue (`packChunk`); the offline renderer cuts a file's frames in order (`FrameChunker`), padding
 * the last, partial chunk. Both copy through `ChunkBuffer`, so a frame buffer the caller reuses
 * (the ffmpeg reader's records) is never referenced by a chunk.
 *
 * It lives in src/stream so that src/render can import it (render sits above stream).
 */
import type { RgbFrames } from '../frames.ts';
import { allocRgbFrames, assertFrameSize } from '../frames.ts';
import type { TimedFrame } from './types.ts';

/** One chunk being filled with copies of single frames. */
export class ChunkBuffer {
  readonly width: number;
  readonly height: number;
  /** Frames the chunk holds when full. */
  readonly size: number;
  readonly #frameBytes: number;
  readonly #frames: RgbFrames;
  #filled = 0;

  constructor(width: number, height: number, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a chunk needs a positive integer frame count, got ${size}`);
    this.width = width;
    this.height = height;
    this.size = size;
    this.#frameBytes = width * height * 3;
    this.#frames = allocRgbFrames(width, height, size);
  }

  get filled(): number {
    return this.#filled;
  }

  get full(): boolean {
    return this.#filled === this.size;
  }

  /** Copies one frame (W·H·3 bytes) into the next slot. */
  add(frame: Uint8Array): void {
    if (frame.length !== this.#frameBytes) throw new Error(`frame has ${frame.length} bytes, ${this.width}×${this.height} RGB needs ${this.#frameBytes}`);
    if (this.full) throw new Error(`chunk of ${this.size} frames is already full`);
    this.#frames.data.set(frame, this.#filled * this.#frameBytes);
    this.#filled++;
  }

  /**
   * The chunk, with the empty slots filled by repeating the last frame; `padding` is how many were
   * filled that way. The buffer is handed over: do not add to it afterwards.
   */
  finish(): { readonly frames: RgbFrames; readonly padding: number } {
    if (this.#filled === 0) throw new Error('an empty chunk cannot be finished');
    const data = this.#frames.data;
    const last = data.subarray((this.#filled - 1) * this.#frameBytes, this.#filled * this.#frameBytes);
    for (let f = this.#filled; f < this.size; f++) data.set(last, f * this.#frameBytes);
    return { frames: this.#frames, padding: this.size - this.#filled };
  }
}

/** Copies `frames` (each count=1, all the same size) into one RgbFrames of count = frames.length. */
export function packChunk(frames: readonly TimedFrame[]): RgbFrames {
  if (frames.length === 0) throw new Error('packChunk: no frames');
  const { width, height } = frames[0].frame;
  const chunk = new ChunkBuffer(width, height, frames.length);
  frames.forEach((f, i) => {
    // Checked by dimensions, not bytes: a 4×2 and a 2×4 frame have the same length.
    if (f.frame.width !== width || f.frame.height !== height || f.frame.count !== 1) {
      throw new Error(`packChunk: frame ${i} is ${f.frame.width}×${f.frame.height}×${f.frame.count}, chunk is ${width}×${height}`);
    }
    chunk.add(f.frame.data.subarray(0, width * height * 3));
  });
  return chunk.finish().frames;
}

/**
 * Splits a generated chunk into single frames. Output frame i inherits the capture time and
 * sequence number of the input frame at the same relative position (the generator may return
 * a different count than it was given), so latency is measured against the right camera frame.
 */
export function unpackChunk(chunk: RgbFrames, sources: readonly TimedFrame[]): TimedFrame[] {
  assertFrameSize(chunk);
  if (sources.length === 0) throw new Error('unpackChunk: no source frames');
  const size = chunk.width * chunk.height * 3;
  const out: TimedFrame[] = [];
  for (let i = 0; i < chunk.count; i++) {
    const j = chunk.count === 1 ? sources.length - 1 : Math.round((i * (sources.length - 1)) / (chunk.count - 1));
    const src = sources[j];
    out.push({
      frame: { width: chunk.width, height: chunk.height, count: 1, data: chunk.data.subarray(i * size, (i + 1) * size) },
      capturedAt: src.capturedAt,
      seq: src.seq,
    });
  }
  return out;
}

export interface InputChunk {
  readonly frames: RgbFrames;
  /** Repeated frames appended at the end (0 for a full chunk). */
  readonly padding: number;
  /** Index of the chunk's first frame in the input. */
  readonly firstFrame: number;
}

/**
 * Cuts an in-order stream of single frames into generator chunks (the offline renderer). The chunk
 * length is asked of the generator before each chunk (it may change, e.g. a first chunk of another
 * length). `flush` pads the last, partial chunk by repeating its last frame; `padding` says how many
 * frames were added so the caller can drop their outputs.
 */
export class FrameChunker {
  readonly #width: number;
  readonly #height: number;
  readonly #chunkFrames: () => number;
  #chunk: ChunkBuffer | null = null;
  #consumed = 0;

  constructor(width: number, height: number, chunkFrames: () => number) {
    this.#width = width;
    this.#height = height;
    this.#chunkFrames = chunkFrames;
  }

  /** Adds one frame; returns a chunk when it completes one. */
  push(frame: Uint8Array): InputChunk | null {
    const chunk = this.#chunk ?? this.#start();
    chunk.add(frame);
    return chunk.full ? this.#emit(chunk) : null;
  }

  /** The pending partial chunk padded with copies of its last frame, or null when nothing is pending. */
  flush(): InputChunk | null {
    if (this.#chunk === null || this.#chunk.filled === 0) return null;
    return this.#emit(this.#chunk);
  }

  #start(): ChunkBuffer {
    const n = this.#chunkFrames();
    if (!Number.isInteger(n) || n < 1) throw new Error(`generator asked for ${n} frames per chunk`);
    this.#chunk = new ChunkBuffer(this.#width, this.#height, n);
    return this.#chunk;
  }

  #emit(chunk: ChunkBuffer): InputChunk {
    const { frames, padding } = chunk.finish();
    const out: InputChunk = { frames, padding, firstFrame: this.#consumed };
    this.#consumed += chunk.size - padding;
    this.#chunk = null;
    return out;
  }
}

/**
 * How many of a chunk's output frames to keep. Output frames line up with the END of the chunk's
 * input (the decoder's warm-up trims the START of the first chunk), so the outputs of padding
 * frames are the last `padding` ones.
 */
export function framesToKeep(outputCount: number, padding: number): number {
  return Math.max(0, outputCount - padding);
}
