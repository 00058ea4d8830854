/**
 * Moving-box layout (VACE LayoutBboxAnnotator): every frame is a white background with the box
 * outline drawn in black, the box moving linearly from `from` to `to` over `frames` frames. The
 * layout video is itself the control signal: no mask (all ones), and no gray anywhere — upstream
 * draws no "missing" regions here.
 *
 * Upstream draws with `cv2.rectangle(frame, (x, y), (x + w, y + h), color, 2)`. OpenCV rasterises a
 * thickness-2 axis-aligned segment as a band one pixel either side of it (3 px wide), from end to
 * end without extension, plus a radius-1 filled circle (a 5-pixel plus) at each corner; so the
 * outline covers rows y−1…y+1 and y+h−1…y+h+1 over columns x…x+w, and columns x−1…x+1 and
 * x+w−1…x+w+1 over rows y…y+h; the four pixels diagonally outside the corners stay background.
 * Box motion and truncation follow `interpolatedBox` (float32, increment (to − from)/N).
 *
 * The frame index runs across chunks (per-session state); `reset()` restarts the motion.
 */
import type { RgbFrames } from '../../src/frames.ts';
import { allocRgbFrames, assertFrameSize } from '../../src/frames.ts';
import type { Control, ControlOutput } from '../types.ts';
import { checkBox, interpolatedBox, type Box } from './box.ts';

export type Rgb = readonly [number, number, number];

export interface LayoutOptions {
  readonly from: Box;
  readonly to: Box;
  /** Frames the motion takes (upstream NUM_FRAMES). */
  readonly frames: number;
  /** Boxes in fractions (0–1) of the frame instead of pixels. */
  readonly relative?: boolean;
  /**
   * Outline colour in output RGB order (default black). Upstream draws its colour into a BGR frame
   * and then flips the channels, so a colour from its tag list shows with R and B swapped; here the
   * colour given is the colour seen.
   */
  readonly color?: Rgb;
  /** Background, RGB (default white). */
  readonly background?: Rgb;
}

function checkRgb(c: Rgb, what: string): Rgb {
  if (c.length !== 3 || c.some((v) => !Number.isInteger(v) || v < 0 || v > 255)) throw new Error(`layout: ${what} must be three integers 0–255, got ${JSON.stringify(c)}`);
  return c;
}

export class LayoutBboxControl implements Control {
  readonly id = 'layout';
  readonly needsWeights = false;
  readonly #from: Box;
  readonly #to: Box;
  readonly #frames: number;
  readonly #relative: boolean;
  readonly #color: Rgb;
  readonly #background: Rgb;
  #nextFrame = 0;

  constructor(options: LayoutOptions) {
    this.#from = checkBox(options.from, 'layout from');
    this.#to = checkBox(options.to, 'layout to');
    if (!Number.isInteger(options.frames) || options.frames < 1) throw new Error(`layout: frames must be a positive integer, got ${options.frames}`);
    this.#frames = options.frames;
    this.#relative = options.relative ?? false;
    this.#color = checkRgb(options.color ?? [0, 0, 0], 'color');
    this.#background = checkRgb(options.background ?? [255, 255, 255], 'background');
  }

  process(frames: RgbFrames): ControlOutput {
    assertFrameSize(frames);
    const { width, height, count } = frames;
    const out = allocRgbFrames(width, height, count);
    const scale = (b: Box): Box => (this.#relative ? { x1: b.x1 * width, y1: b.y1 * height, x2: b.x2 * width, y2: b.y2 * height } : b);
    const from = scale(this.#from);
    const to = scale(this.#to);
    const frameBytes = width * height * 3;
    for (let f = 0; f < count; f++) {
      const base = f * frameBytes;
      fillRect(out.data, base, width, height, 0, 0, width - 1, height - 1, this.#background);
      const b = interpolatedBox(from, to, this.#frames, this.#nextFrame + f);
      drawOutline(out.data, base, width, height, b.x, b.y, b.x + b.w, b.y + b.h, this.#color);
    }
    this.#nextFrame += count;
    return { frames: out };
  }

  reset(): void {
    this.#nextFrame = 0;
  }
}

/** The thickness-2 OpenCV rectangle outline between corners (x1, y1) and (x2, y2), both inclusive. */
function drawOutline(data: Uint8Array, base: number, w: number, h: number, x1: number, y1: number, x2: number, y2: number, c: Rgb): void {
  const minX = Math.min(x1, x2), maxX = Math.max(x1, x2);
  const minY = Math.min(y1, y2), maxY = Math.max(y1, y2);
  if (maxX > minX) {
    fillRect(data, base, w, h, minX, y1 - 1, maxX, y1 + 1, c);
    fillRect(data, base, w, h, minX, y2 - 1, maxX, y2 + 1, c);
  }
  if (maxY > minY) {
    fillRect(data, base, w, h, x1 - 1, minY, x1 + 1, maxY, c);
    fillRect(data, base, w, h, x2 - 1, minY, x2 + 1, maxY, c);
  }
  cornerCap(data, base, w, h, x1, y1, c);
  cornerCap(data, base, w, h, x2, y1, c);
  cornerCap(data, base, w, h, x2, y2, c);
  cornerCap(data, base, w, h, x1, y2, c);
}

/** OpenCV's radius-1 filled circle: a 5-pixel plus (only visible when the box is degenerate). */
function cornerCap(data: Uint8Array, base: number, w: number, h: number, cx: number, cy: number, c: Rgb): void {
  fillRect(data, base, w, h, cx - 1, cy, cx + 1, cy, c);
  fillRect(data, base, w, h, cx, cy - 1, cx, cy + 1, c);
}

/** Fills [x1, x2] × [y1, y2] (inclusive), clipped to the frame. */
function fillRect(data: Uint8Array, base: number, w: number, h: number, x1: number, y1: number, x2: number, y2: number, c: Rgb): void {
  const xa = Math.max(0, x1), xb = Math.min(w - 1, x2);
  const ya = Math.max(0, y1), yb = Math.min(h - 1, y2);
  const [r, g, b] = c;
  for (let y = ya; y <= yb; y++) {
    let o = base + (y * w + xa) * 3;
    for (let x = xa; x <= xb; x++, o += 3) {
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
    }
  }
}
