/**
 * Inpainting (VACE InpaintingAnnotator semantics): pixels under the mask are replaced by gray and
 * regenerated; the rest is kept (mask 0 → the inactive stream carries them unchanged).
 *
 * The fill test is `mask > 0.5`, the same binarisation the VACE encoder applies when it splits
 * inactive/reactive; for binary masks this is upstream's `mask > 0`. The raw (possibly feathered)
 * mask is what is returned, since the encoder's 64 mask channels use it unbinarised.
 *
 * With an inner control (composition, e.g. edges + inpainting) the masked region receives the
 * control's frames instead of gray: regenerate the region following the control, keep the rest.
 */
import type { RgbFrames } from '../../src/frames.ts';
import { assertFrameSize } from '../../src/frames.ts';
import type { Control, ControlOutput } from '../types.ts';
import { allocMaskFrames, checkFill, MISSING_GRAY } from './mask-frames.ts';
import type { MaskSource } from './mask-source.ts';

export interface InpaintOptions {
  readonly mask: MaskSource;
  /** u8 gray for the masked pixels when there is no inner control (default 127). */
  readonly fill?: number;
  /** Control whose frames fill the masked region instead of gray. */
  readonly control?: Control;
}

export class InpaintControl implements Control {
  readonly id = 'inpaint';
  readonly needsWeights: boolean;
  readonly #mask: MaskSource;
  readonly #fill: number;
  readonly #control: Control | undefined;
  #nextFrame = 0;

  constructor(options: InpaintOptions) {
    this.#mask = options.mask;
    this.#fill = checkFill(options.fill ?? MISSING_GRAY, 'inpaint');
    this.#control = options.control;
    this.needsWeights = options.control?.needsWeights ?? false;
  }

  async process(frames: RgbFrames): Promise<ControlOutput> {
    assertFrameSize(frames);
    const { width, height, count } = frames;
    const mask = allocMaskFrames(width, height, count);
    await this.#mask.fill(mask, this.#nextFrame);
    this.#nextFrame += count;

    let guide: Uint8Array | null = null;
    if (this.#control) {
      const inner = await this.#control.process(frames);
      if (inner.mask) throw new Error(`inpaint: inner control '${this.#control.id}' returns its own mask; compose masks before inpainting`);
      if (inner.frames.width !== width || inner.frames.height !== height || inner.frames.count !== count) {
        throw new Error(`inpaint: inner control '${this.#control.id}' changed the frame size`);
      }
      guide = inner.frames.data;
    }

    const out = new Uint8Array(frames.data);
    const m = mask.data;
    const fill = this.#fill;
    for (let i = 0, o = 0; i < m.length; i++, o += 3) {
      if (m[i] > 0.5) {
        if (guide) {
          out[o] = guide[o];
          out[o + 1] = guide[o + 1];
          out[o + 2] = guide[o + 2];
        } else {
          out[o] = fill;
          out[o + 1] = fill;
          out[o + 2] = fill;
        }
      }
    }
    return { frames: { width, height, count, data: out }, mask };
  }

  reset(): void {
    this.#nextFrame = 0;
    this.#control?.reset();
  }

  async dispose(): Promise<void> {
    await this.#control?.dispose?.();
  }
}
