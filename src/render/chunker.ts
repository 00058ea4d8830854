/**
 * Cuts a stream of single frames into generator chunks. The chunk length is asked of the
 * generator before each chunk (it may change, e.g. a first chunk of another length). The last,
 * partial chunk is padded by repeating its last frame; `padding` says how many frames were added
 * so the caller can drop their outputs.
 */
import type { RgbFrames } from '../frames.ts';

export interface InputChunk {
  readonly frames: RgbFrames;
  /** Repeated frames appended at the end (0 for a full chunk). */
  readonly padding: number;
  /** Index of the chunk's first frame in the input. */
  readonly firstFrame: number;
}

export class FrameChunker {
  readonly #width: number;
  readonly #height: number;
  readonly #frameBytes: number;
  readonly #chunkFrames: () => number;
  #buf: Uint8Array | null = null;
  #size = 0;
  #fill = 0;
  #consumed = 0;

  constructor(width: number, height: number, chunkFrames: () => number) {
    this.#width = width;
    this.#height = height;
    this.#frameBytes = width * height * 3;
    this.#chunkFrames = chunkFrames;
  }

  #start(): void {
    const n = this.#chunkFrames();
    if (!Number.isInteger(n) || n < 1) throw new Error(`generator asked for ${n} frames per chunk`);
    this.#size = n;
    this.#buf = new Uint8Array(n * this.#frameBytes);
    this.#fill = 0;
  }

  /** Adds one frame; returns a chunk when it completes one. */
  push(frame: Uint8Array): InputChunk | null {
    if (frame.length !== this.#frameBytes) throw new Error(`frame has ${frame.length} bytes, ${this.#width}×${this.#height} RGB needs ${this.#frameBytes}`);
    if (this.#buf === null) this.#start();
    this.#buf!.set(frame, this.#fill * this.#frameBytes);
    this.#fill++;
    return this.#fill === this.#size ? this.#emit(0) : null;
  }

  /** The pending partial chunk padded with copies of its last frame, or null when nothing is pending. */
  flush(): InputChunk | null {
    if (this.#buf === null || this.#fill === 0) return null;
    const last = this.#buf.subarray((this.#fill - 1) * this.#frameBytes, this.#fill * this.#frameBytes);
    const padding = this.#size - this.#fill;
    for (let f = this.#fill; f < this.#size; f++) this.#buf.set(last, f * this.#frameBytes);
    return this.#emit(padding);
  }

  #emit(padding: number): InputChunk {
    const chunk: InputChunk = {
      frames: { width: this.#width, height: this.#height, count: this.#size, data: this.#buf! },
      padding,
      firstFrame: this.#consumed,
    };
    this.#consumed += this.#size - padding;
    this.#buf = null;
    this.#fill = 0;
    return chunk;
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
