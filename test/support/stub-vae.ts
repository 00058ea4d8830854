/**
 * The stub VAE encoder of the `vace_encode` fixture (manifest `stub_vae`), as a
 * VaceFrameEncoder. Test support, not product: (1) temporal groups of 4 frames,
 * group g = frames [4g, min(4g + 4, T)), T' = ⌈T/4⌉, mean over the group; (2) 8×8 average
 * pooling, stride 8; (3) per-pixel affine map to 16 channels out[o] = b[o] + Σ_c W[o,c]·in[c],
 * W[o,c] = sin(1 + 3o + c), b[o] = 0.1·cos(o) (float64, stored as float32). Ignores the cache
 * flags, but records every call so a test can check what reached the encoder.
 */
import { f32, type F32Tensor } from '../../src/model/tensor.ts';
import type { EncoderStream } from '../../cache/tae-cache.ts';
import type { VaceFrameEncoder } from '../../src/pipeline/vace-context.ts';

export interface StubCall {
  readonly frames: F32Tensor;
  readonly stream: EncoderStream;
  readonly useCache: boolean;
}

export const STUB_LATENT_CHANNELS = 16;
export const STUB_TEMPORAL_GROUP = 4;
export const STUB_POOL = 8;

/** W [16, 3] = sin(1 + 3o + c), float32. */
export function stubWeights(): Float32Array {
  const w = new Float32Array(STUB_LATENT_CHANNELS * 3);
  for (let o = 0; o < STUB_LATENT_CHANNELS; o++) for (let c = 0; c < 3; c++) w[o * 3 + c] = Math.sin(1 + 3 * o + c);
  return w;
}

/** b [16] = 0.1·cos(o), float32. */
export function stubBias(): Float32Array {
  const b = new Float32Array(STUB_LATENT_CHANNELS);
  for (let o = 0; o < STUB_LATENT_CHANNELS; o++) b[o] = 0.1 * Math.cos(o);
  return b;
}

export class StubVaeEncoder implements VaceFrameEncoder {
  readonly calls: StubCall[] = [];
  readonly #w = stubWeights();
  readonly #b = stubBias();

  async encode(frames: F32Tensor, stream: EncoderStream, useCache: boolean): Promise<F32Tensor> {
    if (frames.shape.length !== 4 || frames.shape[0] !== 3) throw new Error(`stub VAE: expected [3, T, H, W], got [${frames.shape.join(', ')}]`);
    const [, t, h, w] = frames.shape as [number, number, number, number];
    if (h % STUB_POOL !== 0 || w % STUB_POOL !== 0) throw new Error(`stub VAE: ${w}×${h} is not a multiple of ${STUB_POOL}`);
    this.calls.push({ frames: f32(frames.shape, frames.data.slice()), stream, useCache });
    const tOut = Math.ceil(t / STUB_TEMPORAL_GROUP);
    const [ho, wo] = [h / STUB_POOL, w / STUB_POOL];
    const plane = h * w;
    const out = f32([STUB_LATENT_CHANNELS, tOut, ho, wo]);
    const pooled = new Float64Array(3);
    for (let g = 0; g < tOut; g++) {
      const f0 = g * STUB_TEMPORAL_GROUP;
      const f1 = Math.min(f0 + STUB_TEMPORAL_GROUP, t);
      for (let y = 0; y < ho; y++) {
        for (let x = 0; x < wo; x++) {
          for (let c = 0; c < 3; c++) {
            let sum = 0;
            for (let f = f0; f < f1; f++) {
              const base = (c * t + f) * plane;
              for (let dy = 0; dy < STUB_POOL; dy++) {
                const row = base + (y * STUB_POOL + dy) * w + x * STUB_POOL;
                for (let dx = 0; dx < STUB_POOL; dx++) sum += frames.data[row + dx]!;
              }
            }
            pooled[c] = sum / ((f1 - f0) * STUB_POOL * STUB_POOL);
          }
          for (let o = 0; o < STUB_LATENT_CHANNELS; o++) {
            let v = this.#b[o]!;
            for (let c = 0; c < 3; c++) v += this.#w[o * 3 + c]! * pooled[c]!;
            out.data[((o * tOut + g) * ho + y) * wo + x] = v;
          }
        }
      }
    }
    return out;
  }
}
