/**
 * Decodes a video file to packed rgb24 frames at the model's size through an ffmpeg child:
 * scaled to COVER the target and centre-cropped (the same fit as reference images), every
 * decoded frame exactly once (no frame-rate conversion).
 */
import { FixedRecordReader, spawnFfmpeg } from '../media/ffmpeg-process.ts';

/** The ffmpeg filter that scales to cover W×H and crops the centre. */
export function coverCropFilter(width: number, height: number): string {
  return `scale=${width}:${height}:force_original_aspect_ratio=increase,crop=${width}:${height}`;
}

/** Frames of `path` as W·H·3-byte buffers, in order. Backpressure: ffmpeg waits while the consumer is busy. */
export async function* readVideoFrames(path: string, width: number, height: number): AsyncGenerator<Uint8Array> {
  const child = spawnFfmpeg(['-i', path, '-vf', coverCropFilter(width, height), '-fps_mode', 'passthrough', '-an', '-sn', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1']);
  const reader = new FixedRecordReader(width * height * 3);
  let finished = false;
  try {
    for await (const chunk of child.proc.stdout as AsyncIterable<Buffer>) {
      for (const rec of reader.push(chunk)) yield new Uint8Array(rec.buffer, rec.byteOffset, rec.byteLength);
    }
    const code = await child.exited;
    finished = true;
    if (code !== 0) throw new Error(`decoding ${path} failed (ffmpeg exit ${code}): ${child.stderrTail() || 'no message'}`);
  } finally {
    // The consumer stopped early (error or break): do not leave a decoder running.
    if (!finished) child.kill();
  }
}
