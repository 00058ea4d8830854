/**
 * Second stage: a camera chunk in, a prepared chunk out — the frames fitted to the generator's
 * size (generate mode; model presets take one fixed size), the control run on them — wrapped in
 * outpainting while the `outpaint` parameter is set (session-outpaint.ts) — and the mask (the
 * control's own, else the session's mask rectangle). The parameters in force travel with
 * the chunk, so a change applied before it is generated can be detected and the control redone.
 */
import type { Control, ControlOutput } from '../../controls/types.ts';
import type { MaskFrames, RgbFrames } from '../frames.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import type { CameraChunk } from './chunk-intake.ts';
import { buildMask } from './mask.ts';
import type { SessionParams } from './params.ts';
import { resizeCover } from './resize.ts';
import { SessionOutpaint } from './session-outpaint.ts';
import type { AsyncStage, StageFailure } from './stage.ts';

export interface ControlInput {
  readonly camera: CameraChunk;
  readonly params: SessionParams;
  readonly control: Control;
  /** The active generator: in generate mode the chunk is fitted to its size. */
  readonly generator?: ChunkGenerator;
}

/** A chunk whose frames are taken and whose control ran, ready for the generator (or to show). */
export interface PreparedChunk {
  readonly camera: CameraChunk;
  /** The camera frames, fitted to the generator in generate mode. */
  readonly frames: RgbFrames;
  readonly control: ControlOutput;
  readonly mask: MaskFrames | undefined;
  /** The parameters in force when the control ran: a change at the boundary redoes it. */
  readonly params: SessionParams;
  readonly controlId: string;
  /** When preparing began (the chunk's time is measured from here). */
  readonly started: number;
}

export class ControlStage implements AsyncStage<ControlInput, PreparedChunk | StageFailure> {
  readonly #now: () => number;
  readonly #outpaint = new SessionOutpaint();

  constructor(now: () => number) {
    this.#now = now;
  }

  async processInput({ camera, params, control, generator }: ControlInput): Promise<PreparedChunk | StageFailure> {
    const started = this.#now();
    let frames = camera.frames;
    if (params.mode === 'generate' && generator) {
      const size = generator.outputSize(frames.width, frames.height);
      frames = resizeCover(frames, size.width, size.height);
    }
    try {
      const output = await this.#outpaint.controlFor(control, params.outpaint).process(frames);
      const mask = output.mask ?? buildMask(params, frames.width, frames.height, frames.count);
      return { camera, frames, control: output, mask, params, controlId: control.id, started };
    } catch (error) {
      return { failed: 'control', params, controlId: control.id, error };
    }
  }
}
