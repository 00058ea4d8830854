/**
 * A painted mask is drawn over the input video at its own size, but the video is fitted to the
 * model by scaling to cover and cropping the centre. The mask gets the same fit (here, once)
 * so it stays over the pixels it was painted on; the painted-mask control then only maps values.
 */
import sharp from 'sharp';

export async function fitMaskPng(png: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  try {
    const buf = await sharp(png, { failOn: 'error' }).resize(width, height, { fit: 'cover', position: 'centre', kernel: 'linear' }).png().toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch (e) {
    throw new Error(`mask PNG could not be decoded: ${(e as Error).message}`);
  }
}
