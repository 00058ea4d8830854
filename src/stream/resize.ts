/**
 * Fitting camera chunks to the size a generator takes: scale to COVER the target (aspect kept),
 * centre-crop, bilinear on u8. Used only when the generator's size differs from the camera's
 * (the model presets have one fixed size). Pure TypeScript: a few ms per chunk at model sizes.
 */
import type { RgbFrames } from '../frames.ts';
import { allocRgbFrames } from '../frames.ts';

export function resizeCover(src: RgbFrames, width: number, height: number): RgbFrames {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`resize target ${width}×${height} must be positive integers`);
  }
  if (src.width === width && src.height === height) return src;
  const out = allocRgbFrames(width, height, src.count);
  const scale = Math.max(width / src.width, height / src.height);
  // Source coordinates of the target pixel centres (half-pixel convention), centred crop.
  const offX = (src.width - width / scale) / 2;
  const offY = (src.height - height / scale) / 2;
  const xs = new Int32Array(width * 2);
  const xw = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(src.width - 1, Math.max(0, offX + (x + 0.5) / scale - 0.5));
    const x0 = Math.floor(sx);
    xs[2 * x] = x0;
    xs[2 * x + 1] = Math.min(src.width - 1, x0 + 1);
    xw[x] = sx - x0;
  }
  const srcFrame = src.width * src.height * 3;
  const dstFrame = width * height * 3;
  for (let f = 0; f < src.count; f++) {
    const s = src.data.subarray(f * srcFrame, (f + 1) * srcFrame);
    const d = out.data.subarray(f * dstFrame, (f + 1) * dstFrame);
    for (let y = 0; y < height; y++) {
      const sy = Math.min(src.height - 1, Math.max(0, offY + (y + 0.5) / scale - 0.5));
      const y0 = Math.floor(sy);
      const y1 = Math.min(src.height - 1, y0 + 1);
      const wy = sy - y0;
      const r0 = y0 * src.width * 3;
      const r1 = y1 * src.width * 3;
      for (let x = 0; x < width; x++) {
        const a = xs[2 * x] * 3;
        const b = xs[2 * x + 1] * 3;
        const wx = xw[x];
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const top = s[r0 + a + c] + (s[r0 + b + c] - s[r0 + a + c]) * wx;
          const bottom = s[r1 + a + c] + (s[r1 + b + c] - s[r1 + a + c]) * wx;
          d[o + c] = Math.round(top + (bottom - top) * wy);
        }
      }
    }
  }
  return out;
}
