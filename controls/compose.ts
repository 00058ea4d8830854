/**
 * Composition: one control plus a spatial layer (inpaint mask or outpaint) plus an extension
 * anchor in the same chunk → one ControlOutput (frames + mask) for the VACE encoder.
 *
 * Nesting order, innermost first:
 *   control (gray, edges, depth, …) on the (placed) source
 *   → inpaint: the masked region gets the control's frames, the rest keeps the source (mask 0);
 *     or outpaint: the control's frames fill the placed inner rectangle, the margin is gray, mask 1
 *   → extension: first/last images over the anchor frames, composited where the mask is > 0.5, mask 0
 *     there.
 * Reference images are not part of a ControlOutput; they travel on their own path to the encoder.
 *
 * `withOutpaint` is the one outpainting path: the registry's `compose`, the renderer's
 * `--outpaint left=0.25` (through `compose`) and the live session's `outpaint` parameter
 * (src/stream/session-outpaint.ts) all go through it. They share fit-frame placement — the frame
 * keeps its size and the picture grows by a generated margin while the source shrinks into the
 * rest — because both have one fixed frame size (the model's, which is also the encoder's and the
 * MP4's); growing the canvas (`placement: 'grow-canvas'`, upstream exact) would hand the generator
 * control frames larger than the frames it takes.
 */
import type { RgbFrames } from '../src/frames.ts';
import { ExtensionControl } from './extension.ts';
import { InpaintControl } from './masks/inpaint.ts';
import { MovingBoxMaskSource, PaintedMaskSource, RectMaskSource, type MaskSource } from './masks/mask-source.ts';
import { OutpaintControl, type OutpaintOptions } from './masks/outpaint.ts';
import type { OutpaintDirection } from './masks/outpaint-geometry.ts';
import type { CompositionSpec, MaskSpec, NestedControlSpec } from './schemas.ts';
import type { Control, ControlOutput } from './types.ts';

export type ControlFactory = (id: string, options?: unknown) => Control;

export function buildMaskSource(spec: MaskSpec): MaskSource {
  switch (spec.kind) {
    case 'rect':
      return new RectMaskSource(spec.box, { feather: spec.feather, relative: spec.relative });
    case 'moving-box':
      return new MovingBoxMaskSource(spec.from, spec.to, spec.frames, { feather: spec.feather, relative: spec.relative });
    case 'painted':
      return new PaintedMaskSource(spec.png, { channel: spec.channel, threshold: spec.threshold });
  }
}

function nested(spec: NestedControlSpec | undefined, create: ControlFactory): Control | undefined {
  return spec ? create(spec.id, spec.options) : undefined;
}

/** Builds the nested control for a validated composition spec. */
export function composeControl(spec: CompositionSpec, create: ControlFactory): Control {
  let control = nested(spec.control, create);
  if (spec.inpaint) {
    control = new InpaintControl({ mask: buildMaskSource(spec.inpaint.mask), fill: spec.inpaint.fill, control });
  } else if (spec.outpaint) {
    const o = spec.outpaint;
    control = withOutpaint({ ...o, directions: o.directions as OutpaintDirection[] }, control);
  }
  if (spec.extension) control = new ExtensionControl({ ...spec.extension, control });
  if (!control) throw new Error('compose: nothing to compose: give control, inpaint, outpaint or extension');
  return new ComposedControl(control);
}

/**
 * Outpainting around `control` — its frames fill the placed inner rectangle, mask 1 everywhere —
 * or, without one, around the source itself (kept with mask 0, only the margin generated).
 * Disposing the result disposes `control`.
 */
export function withOutpaint(options: Omit<OutpaintOptions, 'control'>, control?: Control): OutpaintControl {
  return new OutpaintControl({ ...options, control });
}

/** The composition as seen by a session: id 'compose', delegating to the nested controls. */
export class ComposedControl implements Control {
  readonly id = 'compose';
  readonly needsWeights: boolean;
  readonly #inner: Control;

  constructor(inner: Control) {
    this.#inner = inner;
    this.needsWeights = inner.needsWeights;
  }

  process(frames: RgbFrames): Promise<ControlOutput> | ControlOutput {
    return this.#inner.process(frames);
  }

  reset(): void {
    this.#inner.reset();
  }

  async dispose(): Promise<void> {
    await this.#inner.dispose?.();
  }
}
