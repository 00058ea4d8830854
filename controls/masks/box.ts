/**
 * Axis-aligned boxes in frame pixels: rectangle masks (optionally feathered) and the per-frame
 * box of a LayoutBbox-style motion between two boxes.
 */

/** Corners in pixels, `x1,y1` inclusive, `x2,y2` exclusive (numpy `[y1:y2, x1:x2]`). */
export interface Box {
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export function checkBox(box: Box, what: string): Box {
  for (const k of ['x1', 'y1', 'x2', 'y2'] as const) {
    if (!Number.isFinite(box[k])) throw new Error(`${what}.${k} must be a finite number, got ${box[k]}`);
  }
  if (box.x2 < box.x1 || box.y2 < box.y1) throw new Error(`${what}: need x1 ≤ x2 and y1 ≤ y2, got ${JSON.stringify(box)}`);
  return box;
}

/**
 * Writes a rectangle mask for one W×H frame into `out` at `offset`.
 *
 * Corners are truncated to integers first (upstream InpaintingAnnotator 'bbox' mode: `int(...)`,
 * clamped to the frame). Without feathering the mask is 1 on `[x1, x2) × [y1, y2)` and 0 elsewhere.
 * With `feather = f > 0` the value is `clamp(0.5 − s / f, 0, 1)` where `s` is the signed distance
 * from the pixel centre to the box edge (negative inside, Euclidean outside a corner): the ramp is
 * centred on the edge, so thresholding at 0.5 (what the VACE encoder does for inactive/reactive)
 * still gives exactly the box, while the raw-mask channels see a soft border f pixels wide. Box
 * sides lying on the frame border do not fade.
 */
export function rectMaskInto(out: Float32Array, offset: number, width: number, height: number, box: Box, feather = 0): void {
  const x1 = Math.trunc(Math.max(0, box.x1));
  const y1 = Math.trunc(Math.max(0, box.y1));
  const x2 = Math.trunc(Math.min(width, box.x2));
  const y2 = Math.trunc(Math.min(height, box.y2));
  if (!(feather > 0)) {
    out.fill(0, offset, offset + width * height);
    for (let y = y1; y < y2; y++) out.fill(1, offset + y * width + x1, offset + y * width + Math.max(x1, x2));
    return;
  }
  const inv = 1 / feather;
  // A box side on the frame border is no edge: the mask does not fade out towards the border.
  const openLeft = x1 <= 0, openRight = x2 >= width, openTop = y1 <= 0, openBottom = y2 >= height;
  for (let y = 0; y < height; y++) {
    const py = y + 0.5;
    const dyOut = py < y1 ? y1 - py : py > y2 ? py - y2 : 0;
    const dyIn = Math.min(openTop ? Infinity : py - y1, openBottom ? Infinity : y2 - py);
    let o = offset + y * width;
    for (let x = 0; x < width; x++, o++) {
      const px = x + 0.5;
      const dxOut = px < x1 ? x1 - px : px > x2 ? px - x2 : 0;
      let s: number;
      if (dxOut > 0 || dyOut > 0) s = Math.sqrt(dxOut * dxOut + dyOut * dyOut);
      else s = -Math.min(openLeft ? Infinity : px - x1, openRight ? Infinity : x2 - px, dyIn);
      const v = 0.5 - s * inv;
      out[o] = v <= 0 ? 0 : v >= 1 ? 1 : v;
    }
  }
}

/**
 * The box of frame `index` when moving from `start` to `end` over `frameCount` frames, following
 * VACE's LayoutBboxAnnotator: boxes as float32 `[x, y, w, h]`, increment `(end − start) / N`,
 * frame i at `start + increment·i`, truncated to integers (`astype(int)`). Like upstream, frame
 * N−1 stops one increment short of `end`; frames at or after N (a live stream outlasts the motion)
 * hold `end` exactly.
 */
export function interpolatedBox(start: Box, end: Box, frameCount: number, index: number): { x: number; y: number; w: number; h: number } {
  if (index >= frameCount) {
    return { x: Math.trunc(end.x1), y: Math.trunc(end.y1), w: Math.trunc(end.x2 - end.x1), h: Math.trunc(end.y2 - end.y1) };
  }
  const n = Math.fround(frameCount);
  return {
    x: stepF32(start.x1, end.x1, n, index),
    y: stepF32(start.y1, end.y1, n, index),
    w: stepF32(start.x2 - start.x1, end.x2 - end.x1, n, index),
    h: stepF32(start.y2 - start.y1, end.y2 - end.y1, n, index),
  };
}

/** trunc(float32(s + float32(float32((e − s) / n) · i))), every operation rounded to float32 as numpy does. */
function stepF32(start: number, end: number, n: number, index: number): number {
  const f = Math.fround;
  const s = f(start);
  const increment = f(f(f(end) - s) / n);
  return Math.trunc(f(s + f(increment * f(index))));
}
