/**
 * Where an inpainting mask comes from: a rectangle, a painted PNG, or a box moving between two
 * positions. A source fills a chunk's MaskFrames; the stream frame index lets moving sources
 * continue across chunks.
 */
import type { MaskFrames } from '../../src/frames.ts';
import { checkBox, interpolatedBox, rectMaskInto, type Box } from './box.ts';
import { decodePaintedMask, type PaintedMaskOptions } from './painted.ts';

export interface MaskSource {
  /** Fills every frame of `mask`; `firstFrame` is the stream index of its frame 0. */
  fill(mask: MaskFrames, firstFrame: number): void | Promise<void>;
}

/** Scales a box given in fractions of the frame (0–1) to pixels. */
function toPixels(box: Box, relative: boolean, width: number, height: number): Box {
  return relative ? { x1: box.x1 * width, y1: box.y1 * height, x2: box.x2 * width, y2: box.y2 * height } : box;
}

export class RectMaskSource implements MaskSource {
  readonly #box: Box;
  readonly #feather: number;
  readonly #relative: boolean;

  constructor(box: Box, options: { feather?: number; relative?: boolean } = {}) {
    this.#box = checkBox(box, 'rect mask box');
    this.#feather = options.feather ?? 0;
    if (!(this.#feather >= 0)) throw new Error(`rect mask: feather must be ≥ 0, got ${this.#feather}`);
    this.#relative = options.relative ?? false;
  }

  fill(mask: MaskFrames): void {
    const { width, height, count, data } = mask;
    const plane = width * height;
    rectMaskInto(data, 0, width, height, toPixels(this.#box, this.#relative, width, height), this.#feather);
    for (let f = 1; f < count; f++) data.copyWithin(f * plane, 0, plane);
  }
}

export class MovingBoxMaskSource implements MaskSource {
  readonly #from: Box;
  readonly #to: Box;
  readonly #frames: number;
  readonly #feather: number;
  readonly #relative: boolean;

  constructor(from: Box, to: Box, frames: number, options: { feather?: number; relative?: boolean } = {}) {
    this.#from = checkBox(from, 'moving box from');
    this.#to = checkBox(to, 'moving box to');
    if (!Number.isInteger(frames) || frames < 1) throw new Error(`moving box: frames must be a positive integer, got ${frames}`);
    this.#frames = frames;
    this.#feather = options.feather ?? 0;
    this.#relative = options.relative ?? false;
  }

  fill(mask: MaskFrames, firstFrame: number): void {
    const { width, height, count, data } = mask;
    const from = toPixels(this.#from, this.#relative, width, height);
    const to = toPixels(this.#to, this.#relative, width, height);
    for (let f = 0; f < count; f++) {
      const b = interpolatedBox(from, to, this.#frames, firstFrame + f);
      rectMaskInto(data, f * width * height, width, height, { x1: b.x, y1: b.y, x2: b.x + b.w, y2: b.y + b.h }, this.#feather);
    }
  }
}

/** A painted PNG, decoded once per frame size (sharp is asynchronous and ~ms per call). */
export class PaintedMaskSource implements MaskSource {
  readonly #png: Uint8Array;
  readonly #options: PaintedMaskOptions;
  #cacheKey = '';
  #cache: Promise<Float32Array> | null = null;

  constructor(png: Uint8Array, options: PaintedMaskOptions = {}) {
    this.#png = png;
    this.#options = options;
  }

  /** Decodes now (e.g. when a mask is uploaded) so a corrupt PNG is reported before the next chunk. */
  async prepare(width: number, height: number): Promise<void> {
    await this.#plane(width, height);
  }

  async fill(mask: MaskFrames): Promise<void> {
    const plane = await this.#plane(mask.width, mask.height);
    for (let f = 0; f < mask.count; f++) mask.data.set(plane, f * plane.length);
  }

  #plane(width: number, height: number): Promise<Float32Array> {
    const key = `${width}x${height}`;
    if (this.#cache === null || this.#cacheKey !== key) {
      this.#cacheKey = key;
      this.#cache = decodePaintedMask(this.#png, width, height, this.#options);
      // A failed decode must not stick for a later retry with the same size.
      this.#cache.catch(() => {
        if (this.#cacheKey === key) this.#cache = null;
      });
    }
    return this.#cache;
  }
}
