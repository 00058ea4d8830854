/**
 * Video frames as they move between the media bridge, the controls and the generator:
 * packed RGB24, frame-major (`data[((f·H + y)·W + x)·3 + c]`). One allocation per batch,
 * never one per frame.
 */
export interface RgbFrames {
  readonly width: number;
  readonly height: number;
  readonly count: number;
  readonly data: Uint8Array;
}

/** A single-channel mask per frame, values in [0, 1] (1 = generate / reactive). */
export interface MaskFrames {
  readonly width: number;
  readonly height: number;
  readonly count: number;
  readonly data: Float32Array;
}

export function allocRgbFrames(width: number, height: number, count: number): RgbFrames {
  return { width, height, count, data: new Uint8Array(width * height * 3 * count) };
}

export function assertFrameSize(frames: RgbFrames): void {
  const want = frames.width * frames.height * 3 * frames.count;
  if (!Number.isInteger(frames.width) || !Number.isInteger(frames.height) || frames.width <= 0 || frames.height <= 0) {
    throw new Error(`invalid frame size ${frames.width}×${frames.height}`);
  }
  if (frames.data.length !== want) {
    throw new Error(`frame buffer has ${frames.data.length} bytes, ${frames.count} RGB frames of ${frames.width}×${frames.height} need ${want}`);
  }
}
