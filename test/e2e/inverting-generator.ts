/**
 * A stand-in model for the end-to-end suite: behaves like the Wan generator at the seam (13
 * frames on the first chunk, then 12; takes time per chunk) and returns the colour inverse of
 * the camera, so the browser can tell generated frames from preview frames.
 */
import type { RgbFrames } from '../../src/frames.ts';
import type { ChunkGenerator, ChunkInput } from '../../src/pipeline/generator-types.ts';

export class InvertingGenerator implements ChunkGenerator {
  readonly id = 'test-invert';
  chunks = 0;
  #first = true;

  constructor(readonly chunkDelayMs = 120) {}

  outputSize(width: number, height: number) {
    return { width, height };
  }

  framesForNextChunk(): number {
    return this.#first ? 13 : 12;
  }

  async generate(input: ChunkInput): Promise<RgbFrames> {
    this.#first = false;
    this.chunks++;
    await new Promise((r) => setTimeout(r, this.chunkDelayMs));
    const data = new Uint8Array(input.frames.data.length);
    for (let i = 0; i < data.length; i++) data[i] = 255 - input.frames.data[i];
    return { ...input.frames, data };
  }

  reset(): void {
    this.#first = true;
  }

  async dispose(): Promise<void> {}
}
