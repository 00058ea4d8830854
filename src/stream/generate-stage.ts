/**
 * Third stage: a prepared chunk in, the chunk to show out — the generator's output in generate
 * mode, the control's output (with the mask previewed) in preview mode. Stateless, so plain
 * functions of the stage shape.
 */
import type { RgbFrames } from '../frames.ts';
import type { ChunkGenerator, GenerationParams } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import type { PreparedChunk } from './control-stage.ts';
import { dimOutsideMask } from './mask.ts';
import type { SessionParams } from './params.ts';
import type { StageFailure } from './stage.ts';
import type { TimedFrame } from './types.ts';

/** Frames ready for pacing, with the camera frames they stand for. */
export interface ChunkResult {
  readonly frames: RgbFrames;
  readonly batch: readonly TimedFrame[];
  readonly mode: SessionParams['mode'];
  readonly started: number;
}

export interface GenerateInput {
  readonly prepared: PreparedChunk;
  readonly generator: ChunkGenerator;
  readonly reference?: RgbImage;
}

/** Runs the generator on a prepared chunk. The generator is called synchronously (its frame count may change at once). */
export async function generateChunk({ prepared: p, generator, reference }: GenerateInput): Promise<ChunkResult | StageFailure> {
  try {
    const frames = await generator.generate({
      frames: p.frames,
      // 'passthrough' in generate mode means no VACE control (text or V2V from the camera);
      // a mask alone still selects what is regenerated.
      control: p.controlId === 'passthrough' && !p.mask ? undefined : { frames: p.control.frames, mask: p.mask },
      params: generationParams(p.params),
      references: reference ? [reference] : undefined,
    });
    return { frames, batch: p.camera.batch, mode: p.params.mode, started: p.started };
  } catch (error) {
    return { failed: 'generation', params: p.params, controlId: p.controlId, error };
  }
}

/** Preview mode: the control's output itself, darkened outside the mask (in place). */
export function previewChunk(p: PreparedChunk): ChunkResult {
  if (p.mask) dimOutsideMask(p.control.frames, p.mask);
  return { frames: p.control.frames, batch: p.camera.batch, mode: p.params.mode, started: p.started };
}

export function generationParams(p: SessionParams): GenerationParams {
  return {
    prompt: p.prompt,
    seed: p.seed,
    contextScale: p.contextScale,
    noiseScale: p.noiseScale ?? undefined,
    steps: p.steps,
    interpolation: p.interpolation,
    transitionChunks: p.transitionChunks,
  };
}
