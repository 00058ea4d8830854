/**
 * The seam between the streaming session and whatever makes video: the causal Wan/VACE
 * generator, or a preview that only shows a control's output. The session pipeline
 * (`src/stream`) only ever talks to this interface.
 */
import type { MaskFrames, RgbFrames } from '../frames.ts';
import type { RgbImage } from './reference-images.ts';

export interface GenerationParams {
  readonly prompt: string;
  readonly seed: number;
  readonly contextScale: number;
  /** V2V strength in (0, 1]; undefined = text mode (pure noise). */
  readonly noiseScale?: number;
  readonly steps?: readonly number[];
  /** How weighted prompts and prompt transitions blend: 'linear' (norm-preserving) or 'slerp'. */
  readonly interpolation?: 'linear' | 'slerp';
  /** Chunks over which a prompt change blends from old to new (1 = instant). */
  readonly transitionChunks?: number;
}

export interface ChunkInput {
  /** Camera frames of this chunk (input to V2V). */
  readonly frames: RgbFrames;
  /** VACE control frames and mask from the chosen control, if any. */
  readonly control?: { readonly frames: RgbFrames; readonly mask?: MaskFrames };
  readonly params: GenerationParams;
  /** Reference images (style / identity), up to 3; the same objects across chunks mean "unchanged". */
  readonly references?: readonly RgbImage[];
  /** Extension anchors: a first and/or last frame image. */
  readonly firstFrame?: RgbImage;
  readonly lastFrame?: RgbImage;
}

export interface ChunkGenerator {
  readonly id: string;
  /** Output size for a given input size (the generator may round to its latent grid). */
  outputSize(width: number, height: number): { width: number; height: number };
  /** Pixel frames the generator wants for the next chunk (the Wan/TAE generator takes 12 per chunk: 3 latent frames). */
  framesForNextChunk(): number;
  generate(input: ChunkInput): Promise<RgbFrames>;
  reset(): void;
  dispose(): Promise<void>;
}
