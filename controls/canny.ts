/**
 * Canny edge detector for one packed-RGB frame at a time, in plain TypeScript.
 *
 * Stages: BT.601 luma → separable Gaussian blur (edge pixels replicated) → 3×3 Sobel (replicated
 * border) → L2 gradient magnitude with the direction quantised to 0°/45°/90°/135° → non-maximum
 * suppression along the gradient → double threshold → hysteresis (8-connected flood fill from the
 * strong pixels through the weak ones).
 *
 * Everything up to the magnitude is integer arithmetic: the integer luma of gray.ts, Gaussian taps
 * quantised to 1/256 (summing to exactly 256 per pass, so the blurred image is luma·65536), integer
 * Sobel, and squared magnitudes compared exactly (doubles hold them without rounding). Results are
 * therefore bit-exact across machines, and mirror-symmetric inputs give exactly tied magnitudes, so
 * the tie break of non-maximum suppression decides — never float rounding.
 *
 * All scratch buffers live in the instance and are reused across frames and calls; they are only
 * reallocated when the frame size changes, so the per-frame work allocates nothing.
 *
 * Thresholds are in Sobel units of the blurred luma: a ramp of s levels per pixel has magnitude 8·s,
 * and a hard step of A levels blurred with σ = 1.4 peaks near 2.3·A. The defaults (50 / 110) thus
 * keep steps of roughly 22+ levels attached to steps of 48+ levels — about what OpenCV's popular
 * `Canny(img, 100, 200)` keeps on unblurred input.
 */

import { LUMA_B, LUMA_G, LUMA_R } from './gray.ts';

export interface CannyParams {
  /** Gaussian σ in pixels; 0 disables the blur. */
  readonly sigma: number;
  /** Weak threshold: pixels at or above it are kept when connected to a strong pixel. */
  readonly low: number;
  /** Strong threshold: pixels at or above it are always edges. */
  readonly high: number;
}

export const DEFAULT_CANNY: CannyParams = { sigma: 1.4, low: 50, high: 110 };

/** Two blur passes with taps summing to 256 each. */
const BLUR_SCALE = 65536;

// tan(22.5°) and tan(67.5°): the borders between the four quantised gradient directions.
const TAN_22_5 = 0.41421356;
const TAN_67_5 = 2.41421356;

const DIR_HORIZONTAL = 0; // gradient along x: compare left/right
const DIR_DIAG_DOWN = 1; // gradient along (+x, +y): compare (x−1,y−1)/(x+1,y+1)
const DIR_VERTICAL = 2; // gradient along y: compare up/down
const DIR_DIAG_UP = 3; // gradient along (+x, −y): compare (x+1,y−1)/(x−1,y+1)

const STATE_NONE = 0;
const STATE_WEAK = 1;
const STATE_EDGE = 2;

export class CannyEdgeDetector {
  readonly params: CannyParams;
  readonly #kernel: Int32Array;
  readonly #low2: number;
  readonly #high2: number;
  readonly #radius: number;
  #width = 0;
  #height = 0;
  #luma = new Int32Array(0); // luma, then the blurred luma ·65536 (in place after the vertical pass)
  #rowPass = new Int32Array(0); // horizontal blur result (·256)
  #magnitude = new Float64Array(0); // squared magnitudes, (W+2)·(H+2), zero border: NMS needs no bounds checks
  #direction = new Uint8Array(0); // W·H
  #state = new Uint8Array(0); // (W+2)·(H+2), zero border: hysteresis needs no bounds checks
  #stack = new Int32Array(0); // W·H: each pixel is pushed at most once

  constructor(params: CannyParams = DEFAULT_CANNY) {
    if (!(params.sigma >= 0) || !Number.isFinite(params.sigma)) throw new Error(`canny: sigma must be ≥ 0, got ${params.sigma}`);
    if (!(params.low >= 0) || !(params.high >= params.low)) {
      throw new Error(`canny: need 0 ≤ low ≤ high, got low=${params.low} high=${params.high}`);
    }
    this.params = params;
    // Radius ⌈2.5σ⌉: the dropped tail weighs under 1.3 % of the kernel.
    this.#radius = params.sigma > 0 ? Math.max(1, Math.ceil(2.5 * params.sigma)) : 0;
    this.#kernel = integerKernel(gaussianKernel(params.sigma, this.#radius));
    // Thresholds on the squared magnitude of the ·65536 blurred image.
    this.#low2 = (params.low * BLUR_SCALE) ** 2;
    this.#high2 = (params.high * BLUR_SCALE) ** 2;
  }

  /**
   * Edges of the W×H RGB frame starting at byte `srcOffset` of `src`, written to `dst` from byte
   * `dstOffset` as white (255) lines on black (0), replicated over the three channels.
   */
  detect(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, width: number, height: number): void {
    this.#ensureSize(width, height);
    this.#computeLuma(src, srcOffset);
    this.#blur();
    this.#sobel();
    const strongCount = this.#suppressAndThreshold();
    this.#hysteresis(strongCount);
    this.#writeOutput(dst, dstOffset);
  }

  #ensureSize(width: number, height: number): void {
    if (width === this.#width && height === this.#height) return;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`canny: invalid frame size ${width}×${height}`);
    }
    const n = width * height;
    const padded = (width + 2) * (height + 2);
    this.#width = width;
    this.#height = height;
    this.#luma = new Int32Array(n);
    this.#rowPass = new Int32Array(n);
    this.#magnitude = new Float64Array(padded);
    this.#direction = new Uint8Array(n);
    this.#state = new Uint8Array(padded);
    this.#stack = new Int32Array(n);
  }

  #computeLuma(src: Uint8Array, offset: number): void {
    const luma = this.#luma;
    const n = luma.length;
    for (let i = 0, s = offset; i < n; i++, s += 3) {
      luma[i] = (LUMA_R * src[s] + LUMA_G * src[s + 1] + LUMA_B * src[s + 2] + 8192) >> 14;
    }
  }

  #blur(): void {
    const w = this.#width;
    const h = this.#height;
    const r = this.#radius;
    const k = this.#kernel;
    const src = this.#luma;
    const tmp = this.#rowPass;
    // Horizontal pass: src → tmp. The kernel is symmetric: pair the taps t and 2r − t.
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        if (x >= r && x < w - r) {
          const c = row + x;
          acc = k[r] * src[c];
          for (let t = 1; t <= r; t++) acc += k[r + t] * (src[c - t] + src[c + t]);
        } else {
          for (let t = -r; t <= r; t++) {
            const xx = x + t < 0 ? 0 : x + t >= w ? w - 1 : x + t;
            acc += k[t + r] * src[row + xx];
          }
        }
        tmp[row + x] = acc;
      }
    }
    // Vertical pass: tmp → src, row by row (sequential memory access): out row y is the weighted
    // sum of the rows y−r … y+r, clamped at the top and bottom edges; symmetric rows are paired.
    for (let y = 0; y < h; y++) {
      const out = y * w;
      const kc = k[r];
      for (let x = 0; x < w; x++) src[out + x] = kc * tmp[out + x];
      for (let t = 1; t <= r; t++) {
        const above = (y - t < 0 ? 0 : y - t) * w;
        const below = (y + t >= h ? h - 1 : y + t) * w;
        const kt = k[r + t];
        for (let x = 0; x < w; x++) src[out + x] += kt * (tmp[above + x] + tmp[below + x]);
      }
    }
  }

  #sobel(): void {
    const w = this.#width;
    const h = this.#height;
    const p = this.#luma;
    const mag = this.#magnitude;
    const dir = this.#direction;
    const pw = w + 2;
    for (let y = 0; y < h; y++) {
      const up = (y > 0 ? y - 1 : 0) * w;
      const mid = y * w;
      const down = (y < h - 1 ? y + 1 : h - 1) * w;
      let mi = (y + 1) * pw + 1;
      for (let x = 0; x < w; x++, mi++) {
        const xl = x > 0 ? x - 1 : 0;
        const xr = x < w - 1 ? x + 1 : w - 1;
        const tl = p[up + xl], tc = p[up + x], tr = p[up + xr];
        const ml = p[mid + xl], mr = p[mid + xr];
        const bl = p[down + xl], bc = p[down + x], br = p[down + xr];
        const gx = tr + 2 * mr + br - (tl + 2 * ml + bl);
        const gy = bl + 2 * bc + br - (tl + 2 * tc + tr);
        mag[mi] = gx * gx + gy * gy;
        const ax = gx < 0 ? -gx : gx;
        const ay = gy < 0 ? -gy : gy;
        let d: number;
        if (ay <= ax * TAN_22_5) d = DIR_HORIZONTAL;
        else if (ay >= ax * TAN_67_5) d = DIR_VERTICAL;
        else d = (gx > 0) === (gy > 0) ? DIR_DIAG_DOWN : DIR_DIAG_UP;
        dir[mid + x] = d;
      }
    }
  }

  /** Non-maximum suppression + double threshold; pushes strong pixels on the stack, returns how many. */
  #suppressAndThreshold(): number {
    const w = this.#width;
    const h = this.#height;
    const pw = w + 2;
    const mag = this.#magnitude;
    const dir = this.#direction;
    const state = this.#state;
    const stack = this.#stack;
    const low = this.#low2;
    const high = this.#high2;
    let top = 0;
    for (let y = 0; y < h; y++) {
      let pi = (y + 1) * pw + 1;
      let di = y * w;
      for (let x = 0; x < w; x++, pi++, di++) {
        const m = mag[pi];
        let s = STATE_NONE;
        if (m >= low && m > 0) {
          let a: number, b: number;
          switch (dir[di]) {
            case DIR_HORIZONTAL: a = mag[pi - 1]; b = mag[pi + 1]; break;
            case DIR_VERTICAL: a = mag[pi - pw]; b = mag[pi + pw]; break;
            case DIR_DIAG_DOWN: a = mag[pi - pw - 1]; b = mag[pi + pw + 1]; break;
            default: a = mag[pi - pw + 1]; b = mag[pi + pw - 1]; break;
          }
          // Strict on one side, ≥ on the other: a plateau two pixels wide yields one line, not two.
          if (m > a && m >= b) {
            if (m >= high) {
              s = STATE_EDGE;
              stack[top++] = pi;
            } else {
              s = STATE_WEAK;
            }
          }
        }
        state[pi] = s;
      }
    }
    return top;
  }

  #hysteresis(strongCount: number): void {
    const pw = this.#width + 2;
    const state = this.#state;
    const stack = this.#stack;
    let top = strongCount;
    while (top > 0) {
      const pi = stack[--top];
      // The zero border of `state` stops the fill at the frame edge without bounds checks.
      for (let dy = -pw; dy <= pw; dy += pw) {
        for (let dx = -1; dx <= 1; dx++) {
          const q = pi + dy + dx;
          if (state[q] === STATE_WEAK) {
            state[q] = STATE_EDGE;
            stack[top++] = q;
          }
        }
      }
    }
  }

  #writeOutput(dst: Uint8Array, offset: number): void {
    const w = this.#width;
    const h = this.#height;
    const pw = w + 2;
    const state = this.#state;
    let o = offset;
    for (let y = 0; y < h; y++) {
      let pi = (y + 1) * pw + 1;
      for (let x = 0; x < w; x++, pi++, o += 3) {
        const v = state[pi] === STATE_EDGE ? 255 : 0;
        dst[o] = v;
        dst[o + 1] = v;
        dst[o + 2] = v;
      }
    }
  }
}

/** Taps in 1/256 that sum to exactly 256 (the rounding remainder goes to the centre tap). */
function integerKernel(k: Float32Array): Int32Array {
  const q = Int32Array.from(k, (v) => Math.round(v * 256));
  const centre = (q.length - 1) >> 1;
  q[centre] += 256 - q.reduce((a, b) => a + b, 0);
  return q;
}

/** Normalised 1-D Gaussian taps for offsets −radius…radius. */
export function gaussianKernel(sigma: number, radius: number): Float32Array {
  const k = new Float32Array(2 * radius + 1);
  if (radius === 0) {
    k[0] = 1;
    return k;
  }
  let sum = 0;
  for (let t = -radius; t <= radius; t++) {
    const v = Math.exp(-(t * t) / (2 * sigma * sigma));
    k[t + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}
