/**
 * Streaming state of one TAE stream: one tensor per MemBlock, [1, C, h, w], holding that
 * block's input at the last frame of the previous call (null = fresh stream, zeros). The
 * runner reads and replaces it; cache/tae-cache.ts decides which stream uses which state.
 */
import type { F32Tensor } from '../tensor.ts';

export class TaeEncoderState {
  mem: readonly F32Tensor[] | null = null;

  get fresh(): boolean {
    return this.mem === null;
  }

  reset(): void {
    this.mem = null;
  }
}

export class TaeDecoderState {
  mem: readonly F32Tensor[] | null = null;
  /** Frames returned since the last reset; 0 means the next call is the first (and is trimmed). */
  framesOut = 0;

  get fresh(): boolean {
    return this.mem === null && this.framesOut === 0;
  }

  reset(): void {
    this.mem = null;
    this.framesOut = 0;
  }
}
