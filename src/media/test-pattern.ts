/**
 * A known test pattern for checking the video path end to end, and a Y4M writer so Chromium can
 * use it as its fake camera (--use-file-for-fake-video-capture).
 *
 * The pattern has large flat colour bars (they survive lossy coding, so pixels can be compared
 * with a tolerance) and a row of black/white blocks that spell the frame number in binary, so a
 * returned frame can be matched to the camera frame it came from to measure latency.
 */
import type { RgbFrames } from '../frames.ts';

export const PATTERN_BARS: readonly (readonly [number, number, number])[] = [
  [235, 235, 235],
  [235, 235, 16],
  [16, 235, 235],
  [16, 235, 16],
  [235, 16, 235],
  [235, 16, 16],
  [16, 16, 235],
  [40, 40, 40],
];

/** Bits of the frame counter drawn in the code row. */
export const PATTERN_CODE_BITS = 10;

/** The code row occupies the bottom quarter; bars fill the rest. */
export function patternLayout(width: number, height: number) {
  const codeTop = Math.floor((height * 3) / 4);
  const blockWidth = Math.floor(width / PATTERN_CODE_BITS);
  return { codeTop, blockWidth, barWidth: width / PATTERN_BARS.length };
}

export function drawPatternFrame(width: number, height: number, index: number): RgbFrames {
  const data = new Uint8Array(width * height * 3);
  const { codeTop, blockWidth, barWidth } = patternLayout(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let rgb: readonly [number, number, number];
      if (y < codeTop) rgb = PATTERN_BARS[Math.min(PATTERN_BARS.length - 1, Math.floor(x / barWidth))];
      else {
        const bit = Math.floor(x / blockWidth);
        const on = bit < PATTERN_CODE_BITS && ((index >> (PATTERN_CODE_BITS - 1 - bit)) & 1) === 1;
        rgb = on ? [255, 255, 255] : [0, 0, 0];
      }
      const o = (y * width + x) * 3;
      data[o] = rgb[0];
      data[o + 1] = rgb[1];
      data[o + 2] = rgb[2];
    }
  }
  return { width, height, count: 1, data };
}

/** Reads the frame counter back from the code row of an RGB(A) image (`channels` = 3 or 4). */
export function readPatternCode(data: Uint8Array | Uint8ClampedArray, width: number, height: number, channels = 3): number {
  const { codeTop, blockWidth } = patternLayout(width, height);
  const y = Math.floor((codeTop + height) / 2);
  let value = 0;
  for (let bit = 0; bit < PATTERN_CODE_BITS; bit++) {
    const x = Math.floor(bit * blockWidth + blockWidth / 2);
    const o = (y * width + x) * channels;
    const luma = (data[o] + data[o + 1] + data[o + 2]) / 3;
    value = (value << 1) | (luma > 128 ? 1 : 0);
  }
  return value;
}

/** RGB → planar yuv420p (BT.601 limited range, what Chromium expects from a Y4M camera file). */
export function rgbToI420(frame: RgbFrames): Buffer {
  const { width: w, height: h, data } = frame;
  const out = Buffer.alloc((w * h * 3) / 2);
  const cw = w / 2;
  const uOff = w * h;
  const vOff = uOff + cw * (h / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      out[y * w + x] = clamp8(16 + (65.738 * data[o] + 129.057 * data[o + 1] + 25.064 * data[o + 2]) / 256);
    }
  }
  for (let y = 0; y < h / 2; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const o = ((2 * y + dy) * w + 2 * x + dx) * 3;
        r += data[o];
        g += data[o + 1];
        b += data[o + 2];
      }
      r /= 4;
      g /= 4;
      b /= 4;
      out[uOff + y * cw + x] = clamp8(128 + (-37.945 * r - 74.494 * g + 112.439 * b) / 256);
      out[vOff + y * cw + x] = clamp8(128 + (112.439 * r - 94.154 * g - 18.285 * b) / 256);
    }
  }
  return out;
}

function clamp8(v: number): number {
  return Math.max(0, Math.min(255, Math.round(v)));
}

/** A whole Y4M file of `frames` pattern frames at `fps`. */
export function patternY4m(width: number, height: number, frames: number, fps: number): Buffer {
  if (width % 2 || height % 2) throw new Error(`Y4M 4:2:0 needs even sizes, got ${width}×${height}`);
  const parts: Buffer[] = [Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i++) {
    parts.push(Buffer.from('FRAME\n'), rgbToI420(drawPatternFrame(width, height, i)));
  }
  return Buffer.concat(parts);
}
