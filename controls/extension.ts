/**
 * Extension: a first frame and/or a last frame as VACE extension context (scope's
 * `_encode_extension_mode`, spec §6 "Extension").
 *
 * For a chunk of N frames (12; 13 on a stream's first chunk) and a temporal group of 4 frames (one
 * latent frame), the first image is replicated over frames 0–3 and the last over N−4…N−1, mask 0
 * there (keep); every other frame is the base: gray (zeros in [−1, 1]) with mask 1, or — with an
 * inner control — the control's frames and mask. When the inner control brings a mask, the image
 * is composited only where that mask is > 0.5 and the mask is then forced to 0 on the anchor frames,
 * as scope does for inpainting + extension.
 *
 * The anchors apply to the first `chunks` chunks after creation or `reset()` (default 1: the
 * extension context for the next chunk); afterwards the base passes through unchanged.
 */
import type { MaskFrames, RgbFrames } from '../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../src/frames.ts';
import { FittedImage, type StillImage } from './image-input.ts';
import { allocMaskFrames, checkFill, MISSING_GRAY } from './masks/mask-frames.ts';
import type { Control, ControlOutput } from './types.ts';

export interface ExtensionOptions {
  readonly first?: StillImage;
  readonly last?: StillImage;
  /** Chunks that carry the anchors (default 1; 0 = every chunk). */
  readonly chunks?: number;
  /** Frames per anchor: the VAE temporal downsampling factor (default 4). */
  readonly span?: number;
  /** u8 gray of the base frames without an inner control (default 127). */
  readonly fill?: number;
  /** Base conditioning (e.g. depth, inpainting) for the non-anchor frames. */
  readonly control?: Control;
}

export class ExtensionControl implements Control {
  readonly id = 'extension';
  readonly needsWeights: boolean;
  readonly #first: FittedImage | null;
  readonly #last: FittedImage | null;
  readonly #chunks: number;
  readonly #span: number;
  readonly #fill: number;
  readonly #control: Control | undefined;
  #chunkIndex = 0;

  constructor(options: ExtensionOptions) {
    if (!options.first && !options.last) throw new Error('extension: give a first frame, a last frame, or both');
    this.#first = options.first ? new FittedImage(options.first, 'extension first frame') : null;
    this.#last = options.last ? new FittedImage(options.last, 'extension last frame') : null;
    this.#chunks = options.chunks ?? 1;
    if (!Number.isInteger(this.#chunks) || this.#chunks < 0) throw new Error(`extension: chunks must be an integer ≥ 0, got ${this.#chunks}`);
    this.#span = options.span ?? 4;
    if (!Number.isInteger(this.#span) || this.#span < 1) throw new Error(`extension: span must be a positive integer, got ${this.#span}`);
    this.#fill = checkFill(options.fill ?? MISSING_GRAY, 'extension');
    this.#control = options.control;
    this.needsWeights = options.control?.needsWeights ?? false;
  }

  /** Whether the next chunk carries the anchors. */
  get active(): boolean {
    return this.#chunks === 0 || this.#chunkIndex < this.#chunks;
  }

  async process(frames: RgbFrames): Promise<ControlOutput> {
    assertFrameSize(frames);
    const { width, height, count } = frames;
    const active = this.active;
    this.#chunkIndex++;

    let outFrames: RgbFrames;
    let mask: MaskFrames;
    let baseMask: MaskFrames | null = null;
    if (this.#control) {
      const base = await this.#control.process(frames);
      if (base.frames.width !== width || base.frames.height !== height || base.frames.count !== count) {
        throw new Error(`extension: inner control '${this.#control.id}' changed the frame size`);
      }
      if (!active) return base;
      outFrames = { width, height, count, data: new Uint8Array(base.frames.data) };
      if (base.mask) {
        baseMask = base.mask;
        mask = { width, height, count, data: new Float32Array(base.mask.data) };
      } else {
        mask = allocMaskFrames(width, height, count, 1);
      }
    } else {
      outFrames = allocRgbFrames(width, height, count);
      outFrames.data.fill(this.#fill);
      mask = allocMaskFrames(width, height, count, 1);
      if (!active) return { frames: outFrames, mask };
    }

    const span = this.#span;
    const need = (this.#first ? span : 0) + (this.#last ? span : 0);
    if (count < need) throw new Error(`extension: a chunk of ${count} frames cannot hold ${need} anchor frames`);
    if (this.#first) this.#overlay(outFrames, mask, baseMask, await this.#first.at(width, height), 0);
    if (this.#last) this.#overlay(outFrames, mask, baseMask, await this.#last.at(width, height), count - span);
    return { frames: outFrames, mask };
  }

  #overlay(frames: RgbFrames, mask: MaskFrames, baseMask: MaskFrames | null, image: Uint8Array, start: number): void {
    const plane = frames.width * frames.height;
    const frameBytes = plane * 3;
    for (let f = start; f < start + this.#span; f++) {
      if (baseMask === null) {
        frames.data.set(image, f * frameBytes);
      } else {
        const m = baseMask.data;
        const d = frames.data;
        for (let i = 0, mi = f * plane, o = f * frameBytes; i < plane; i++, mi++, o += 3) {
          if (m[mi] > 0.5) {
            d[o] = image[i * 3];
            d[o + 1] = image[i * 3 + 1];
            d[o + 2] = image[i * 3 + 2];
          }
        }
      }
      mask.data.fill(0, f * plane, (f + 1) * plane);
    }
  }

  reset(): void {
    this.#chunkIndex = 0;
    this.#control?.reset();
  }

  async dispose(): Promise<void> {
    await this.#control?.dispose?.();
  }
}
