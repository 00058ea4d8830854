/**
 * Still images given to a control (extension first/last frame): either encoded bytes (PNG/JPEG/WebP,
 * decoded with sharp) or an already decoded single RGB frame. Either way the image is fitted to the
 * chunk's frame size by scaling to cover and cropping the centre — the same fit scope uses for
 * reference and extension images (`load_and_prepare_reference_images`).
 */
import sharp from 'sharp';
import type { RgbFrames } from '../src/frames.ts';
import { assertFrameSize } from '../src/frames.ts';
import { BilinearResampler, coverCrop } from './resample.ts';

export type StillImage = Uint8Array | RgbFrames;

/**
 * The encoded formats a still image may come in. sharp reads more (SVG through librsvg, TIFF,
 * GIF, HEIF…), but these bytes come from clients of the server, so only the formats we document
 * reach a decoder.
 */
const FORMATS: readonly string[] = ['png', 'jpeg', 'webp'];

function isFrames(x: StillImage): x is RgbFrames {
  return !(x instanceof Uint8Array);
}

/** A still image fitted to W×H, as one packed RGB frame (W·H·3 bytes). Cached per size. */
export class FittedImage {
  readonly #image: StillImage;
  readonly #what: string;
  #key = '';
  #pending: Promise<Uint8Array> | null = null;

  constructor(image: StillImage, what: string) {
    if (isFrames(image)) {
      assertFrameSize(image);
      if (image.count !== 1) throw new Error(`${what}: expected one frame, got ${image.count}`);
    } else if (image.length === 0) {
      throw new Error(`${what}: empty image`);
    }
    this.#image = image;
    this.#what = what;
  }

  at(width: number, height: number): Promise<Uint8Array> {
    const key = `${width}x${height}`;
    if (this.#pending === null || this.#key !== key) {
      this.#key = key;
      this.#pending = this.#fit(width, height);
      this.#pending.catch(() => {
        if (this.#key === key) this.#pending = null;
      });
    }
    return this.#pending;
  }

  async #fit(width: number, height: number): Promise<Uint8Array> {
    const img = this.#image;
    if (isFrames(img)) {
      if (img.width === width && img.height === height) return img.data;
      const out = new Uint8Array(width * height * 3);
      new BilinearResampler(img.width, img.height, coverCrop(img.width, img.height, width, height), width, height).resampleInto(img.data, 0, out, 0, width, 0, 0);
      return out;
    }
    try {
      const { format } = await sharp(img).metadata();
      if (!FORMATS.includes(format)) throw new Error(`${format} is not accepted, give PNG, JPEG or WebP`);
      const { data, info } = await sharp(img, { failOn: 'error' })
        .removeAlpha()
        .toColourspace('srgb')
        .resize(width, height, { fit: 'cover', position: 'centre', kernel: 'linear' })
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.width !== width || info.height !== height || info.channels !== 3) {
        throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, wanted ${width}×${height}×3`);
      }
      return new Uint8Array(data.buffer, data.byteOffset, data.length);
    } catch (err) {
      throw new Error(`${this.#what}: image could not be decoded: ${(err as Error).message}`);
    }
  }
}
