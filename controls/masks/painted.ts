/**
 * Static painted mask from a PNG (e.g. drawn in the browser over the preview): decoded and resized
 * to the frame size with sharp, then mapped to [0, 1].
 */
import sharp from 'sharp';

export interface PaintedMaskOptions {
  /**
   * Which channel carries the painting: 'luma' (default; transparency is flattened over black, so
   * white strokes on a transparent canvas and white-on-black both work) or 'alpha' (opaque = 1).
   */
  readonly channel?: 'luma' | 'alpha';
  /** Absent: grey levels v/255 (soft edges kept). Present: v/255 ≥ threshold → 1, else 0. */
  readonly threshold?: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Decodes `png` into one W×H mask plane (row-major Float32Array of W·H values in [0, 1]). */
export async function decodePaintedMask(png: Uint8Array, width: number, height: number, options: PaintedMaskOptions = {}): Promise<Float32Array> {
  if (!isPng(png)) {
    throw new Error(`painted mask: not a PNG (${png.length} bytes, first bytes ${Array.from(png.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  }
  const threshold = options.threshold;
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new Error(`painted mask: threshold must be in [0, 1], got ${threshold}`);
  let grey: Buffer;
  try {
    const img = sharp(png, { failOn: 'error' });
    const pipeline = options.channel === 'alpha' ? img.ensureAlpha().extractChannel(3) : img.flatten({ background: '#000000' }).greyscale();
    const { data, info } = await pipeline.resize(width, height, { fit: 'fill', kernel: 'linear' }).raw().toBuffer({ resolveWithObject: true });
    if (info.width !== width || info.height !== height || info.channels !== 1) {
      throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, wanted ${width}×${height}×1`);
    }
    grey = data;
  } catch (err) {
    throw new Error(`painted mask PNG could not be decoded: ${(err as Error).message}`);
  }
  const out = new Float32Array(width * height);
  if (threshold === undefined) {
    for (let i = 0; i < out.length; i++) out[i] = grey[i] / 255;
  } else {
    for (let i = 0; i < out.length; i++) out[i] = grey[i] / 255 >= threshold ? 1 : 0;
  }
  return out;
}
