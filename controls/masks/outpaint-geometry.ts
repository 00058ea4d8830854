/**
 * Outpainting geometry, following VACE's OutpaintingAnnotator exactly:
 *
 *   left  = int(ratio·srcW) if 'left'  in directions else 0   (likewise right; up/down use srcH)
 *   tarW  = ceil((srcW + left + right) / keep) · keep           (keep = KEEP_PADDING_RATIO)
 *   left  = left·(tarW − srcW) // (left + right)   if left  > 0
 *   right = tarW − srcW − left                     if right > 0
 *   the source is pasted at (left, up); the mask is 1 except the black rectangle
 *   (left + 2·blur?, up + 2·blur?) … (tarW − right − 2·blur? − 1, tarH − down − 2·blur? − 1)
 *   inclusive, where each 2·blur applies only on an expanded side.
 *
 * VACE's video preset uses keep = 1 and PIL 'gray' for the margin; the annotator default is keep 8.
 */

export type OutpaintDirection = 'left' | 'right' | 'up' | 'down';
export const OUTPAINT_DIRECTIONS: readonly OutpaintDirection[] = ['left', 'right', 'up', 'down'];

export interface OutpaintGeometry {
  /** Canvas size. */
  readonly width: number;
  readonly height: number;
  /** Where the source (of size innerWidth×innerHeight) sits in the canvas. */
  readonly left: number;
  readonly up: number;
  readonly innerWidth: number;
  readonly innerHeight: number;
  /** Margins as upstream reports them (right/down are the canvas remainder on expanded sides). */
  readonly right: number;
  readonly down: number;
  /** The kept (mask 0) rectangle, half-open: [keepX1, keepX2) × [keepY1, keepY2). */
  readonly keepX1: number;
  readonly keepY1: number;
  readonly keepX2: number;
  readonly keepY2: number;
}

export interface OutpaintParams {
  readonly directions: readonly OutpaintDirection[];
  readonly ratio: number;
  /** KEEP_PADDING_RATIO: the canvas is rounded up to a multiple of this (default 1). */
  readonly keepPaddingRatio?: number;
  /** MASK_BLUR: shrinks the kept rectangle by 2·maskBlur on each expanded side (default 0). */
  readonly maskBlur?: number;
}

export function checkOutpaintParams(p: OutpaintParams): void {
  if (!(p.ratio >= 0) || !Number.isFinite(p.ratio)) throw new Error(`outpaint: ratio must be a finite number ≥ 0, got ${p.ratio}`);
  if (p.directions.length === 0) throw new Error('outpaint: give at least one direction (left, right, up, down)');
  for (const d of p.directions) {
    if (!OUTPAINT_DIRECTIONS.includes(d)) throw new Error(`outpaint: unknown direction '${d}' (left, right, up, down)`);
  }
  const keep = p.keepPaddingRatio ?? 1;
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`outpaint: keepPaddingRatio must be a positive integer, got ${keep}`);
  const blur = p.maskBlur ?? 0;
  if (!Number.isInteger(blur) || blur < 0) throw new Error(`outpaint: maskBlur must be an integer ≥ 0, got ${blur}`);
}

/** Upstream's margins before the split: int(ratio·size) on each requested side. */
function rawMargins(srcW: number, srcH: number, p: OutpaintParams) {
  const has = (d: OutpaintDirection) => p.directions.includes(d);
  return {
    left: has('left') ? Math.trunc(p.ratio * srcW) : 0,
    right: has('right') ? Math.trunc(p.ratio * srcW) : 0,
    up: has('up') ? Math.trunc(p.ratio * srcH) : 0,
    down: has('down') ? Math.trunc(p.ratio * srcH) : 0,
  };
}

/** Splits the canvas slack between the two sides the way upstream does. */
function split(first: number, second: number, slack: number): [number, number] {
  let a = first, b = second;
  if (a > 0) a = Math.floor((a * slack) / (a + b));
  if (b > 0) b = slack - a;
  return [a, b];
}

function finish(width: number, height: number, innerWidth: number, innerHeight: number, left: number, right: number, up: number, down: number, blur: number): OutpaintGeometry {
  const keepX1 = left + (left > 0 ? 2 * blur : 0);
  const keepY1 = up + (up > 0 ? 2 * blur : 0);
  const keepX2 = Math.max(keepX1, width - right - (right > 0 ? 2 * blur : 0));
  const keepY2 = Math.max(keepY1, height - down - (down > 0 ? 2 * blur : 0));
  return { width, height, left, up, innerWidth, innerHeight, right, down, keepX1, keepY1, keepX2, keepY2 };
}

/** Upstream geometry for a srcW×srcH source: the canvas grows. */
export function growCanvasGeometry(srcW: number, srcH: number, p: OutpaintParams): OutpaintGeometry {
  checkOutpaintParams(p);
  const keep = p.keepPaddingRatio ?? 1;
  const m = rawMargins(srcW, srcH, p);
  const width = Math.ceil((srcW + m.left + m.right) / keep) * keep;
  const height = Math.ceil((srcH + m.up + m.down) / keep) * keep;
  const [left, right] = split(m.left, m.right, width - srcW);
  const [up, down] = split(m.up, m.down, height - srcH);
  return finish(width, height, srcW, srcH, left, right, up, down, p.maskBlur ?? 0);
}

/**
 * Live geometry: the canvas stays W×H (the model's frame size) and the source shrinks into it. The
 * inner size is the largest source size whose upstream canvas (keep = 1) fits W (resp. H); the
 * slack is then split between the sides with upstream's rule.
 */
export function fitFrameGeometry(width: number, height: number, p: OutpaintParams): OutpaintGeometry {
  checkOutpaintParams(p);
  const has = (d: OutpaintDirection) => p.directions.includes(d);
  const innerWidth = largestInner(width, p.ratio, (has('left') ? 1 : 0) + (has('right') ? 1 : 0));
  const innerHeight = largestInner(height, p.ratio, (has('up') ? 1 : 0) + (has('down') ? 1 : 0));
  const m = rawMargins(innerWidth, innerHeight, p);
  const [left, right] = split(m.left, m.right, width - innerWidth);
  const [up, down] = split(m.up, m.down, height - innerHeight);
  return finish(width, height, innerWidth, innerHeight, left, right, up, down, p.maskBlur ?? 0);
}

/** Largest s ≤ size with s + sides·int(ratio·s) ≤ size (at least 1). */
function largestInner(size: number, ratio: number, sides: number): number {
  if (sides === 0) return size;
  let s = Math.min(size, Math.floor(size / (1 + sides * ratio)) + 1);
  while (s > 1 && s + sides * Math.trunc(ratio * s) > size) s--;
  return s;
}

/**
 * The VACE ratio whose fit-frame margin, on one expanded side, is `fraction` of the frame: the
 * margin is ratio·inner and inner + margin = frame, so ratio = fraction / (1 − fraction) (0.25 of
 * the frame → ratio 1/3; at 640 px: a 480 px source and a 160 px margin). For callers that say how
 * much of the picture is generated rather than how much it grows (the live `outpaint.amount`).
 */
export function ratioForMarginFraction(fraction: number): number {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`outpaint: the generated fraction of the frame must be in [0, 1), got ${fraction}`);
  return fraction / (1 - fraction);
}
