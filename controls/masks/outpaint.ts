/**
 * Outpainting: the source is placed inside the canvas, the margin is filled with gray and masked
 * (1 = generate), the placed source is kept (mask 0) — VACE's OutpaintingVideoAnnotator.
 *
 * Placement:
 * - 'fit-frame' (default, live): the canvas is the input frame size (the model's size); the source is
 *   centre-cropped to the inner rectangle's aspect and resampled (bilinear) into it.
 * - 'grow-canvas': upstream exactly — the canvas grows by the margins, the source is pasted 1:1.
 *
 * With an inner control (composition, e.g. edges + outpainting) the control runs on the placed
 * source and its frames fill the inner rectangle; the mask is then 1 everywhere: control frames are
 * a guide to follow, not pixels to keep (mask 0 there would paste the line art into the output).
 */
import type { RgbFrames } from '../../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../../src/frames.ts';
import { BilinearResampler, coverCrop } from '../resample.ts';
import type { Control, ControlOutput } from '../types.ts';
import { allocMaskFrames, checkFill, MISSING_GRAY } from './mask-frames.ts';
import { fitFrameGeometry, growCanvasGeometry, type OutpaintGeometry, type OutpaintParams } from './outpaint-geometry.ts';

export interface OutpaintOptions extends OutpaintParams {
  readonly placement?: 'fit-frame' | 'grow-canvas';
  /** u8 gray of the margin (default 127). */
  readonly fill?: number;
  readonly control?: Control;
}

export class OutpaintControl implements Control {
  readonly id = 'outpaint';
  readonly needsWeights: boolean;
  readonly #params: OutpaintParams;
  readonly #placement: 'fit-frame' | 'grow-canvas';
  readonly #fill: number;
  readonly #control: Control | undefined;
  #geometryKey = '';
  #geometry: OutpaintGeometry | null = null;
  #resampler: BilinearResampler | null = null;

  constructor(options: OutpaintOptions) {
    this.#params = { directions: options.directions, ratio: options.ratio, keepPaddingRatio: options.keepPaddingRatio, maskBlur: options.maskBlur };
    this.#placement = options.placement ?? 'fit-frame';
    this.#fill = checkFill(options.fill ?? MISSING_GRAY, 'outpaint');
    this.#control = options.control;
    this.needsWeights = options.control?.needsWeights ?? false;
    // Validate now so bad options fail at creation, not at the first chunk.
    fitFrameGeometry(64, 64, this.#params);
  }

  /** The geometry for an input of this size (cached). */
  geometry(width: number, height: number): OutpaintGeometry {
    const key = `${width}x${height}`;
    if (this.#geometry === null || this.#geometryKey !== key) {
      const g = this.#placement === 'grow-canvas' ? growCanvasGeometry(width, height, this.#params) : fitFrameGeometry(width, height, this.#params);
      this.#geometry = g;
      this.#geometryKey = key;
      this.#resampler =
        this.#placement === 'fit-frame' && (g.innerWidth !== width || g.innerHeight !== height)
          ? new BilinearResampler(width, height, coverCrop(width, height, g.innerWidth, g.innerHeight), g.innerWidth, g.innerHeight)
          : null;
    }
    return this.#geometry;
  }

  async process(frames: RgbFrames): Promise<ControlOutput> {
    assertFrameSize(frames);
    const g = this.geometry(frames.width, frames.height);
    const { count } = frames;

    const out = allocRgbFrames(g.width, g.height, count);
    out.data.fill(this.#fill);
    const srcBytes = frames.width * frames.height * 3;
    const canvasBytes = g.width * g.height * 3;
    const innerBytes = g.innerWidth * g.innerHeight * 3;

    if (!this.#control) {
      // Straight into the canvas: resample (fit-frame) or copy 1:1 (grow-canvas).
      for (let f = 0; f < count; f++) {
        if (this.#resampler) this.#resampler.resampleInto(frames.data, f * srcBytes, out.data, f * canvasBytes, g.width, g.left, g.up);
        else copyRect(frames.data, f * srcBytes, out.data, f * canvasBytes, g);
      }
    } else {
      // The control sees the placed source at inner size.
      let inner: RgbFrames = frames;
      if (this.#resampler) {
        inner = allocRgbFrames(g.innerWidth, g.innerHeight, count);
        for (let f = 0; f < count; f++) this.#resampler.resampleInto(frames.data, f * srcBytes, inner.data, f * innerBytes, g.innerWidth, 0, 0);
      }
      const guided = await this.#control.process(inner);
      if (guided.mask) throw new Error(`outpaint: inner control '${this.#control.id}' returns its own mask; it cannot be outpainted`);
      if (guided.frames.width !== g.innerWidth || guided.frames.height !== g.innerHeight || guided.frames.count !== count) {
        throw new Error(`outpaint: inner control '${this.#control.id}' changed the frame size`);
      }
      for (let f = 0; f < count; f++) copyRect(guided.frames.data, f * innerBytes, out.data, f * canvasBytes, g);
    }

    const mask = allocMaskFrames(g.width, g.height, count, 1);
    if (!this.#control) {
      const plane = g.width * g.height;
      for (let y = g.keepY1; y < g.keepY2; y++) mask.data.fill(0, y * g.width + g.keepX1, y * g.width + g.keepX2);
      for (let f = 1; f < count; f++) mask.data.copyWithin(f * plane, 0, plane);
    }
    return { frames: out, mask };
  }

  reset(): void {
    this.#control?.reset();
  }

  async dispose(): Promise<void> {
    await this.#control?.dispose?.();
  }
}

/** Copies an innerWidth×innerHeight frame into the canvas at (left, up). */
function copyRect(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, g: OutpaintGeometry): void {
  const rowBytes = g.innerWidth * 3;
  for (let y = 0; y < g.innerHeight; y++) {
    const s = srcOffset + y * rowBytes;
    const d = dstOffset + ((g.up + y) * g.width + g.left) * 3;
    for (let i = 0; i < rowBytes; i++) dst[d + i] = src[s + i];
  }
}
