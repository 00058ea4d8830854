/**
 * The TAE as the streaming generator's VAE: uint8 frames → latents (V2V input, its own cache),
 * latents → uint8 frames (decoder cache), and the VACE context's encoder (`VaceFrameEncoder`,
 * inactive / reactive / reference streams routed by TaeStreamCache). One TaeStreamVae per
 * session; reset() when a new stream starts.
 */
import { TaeStreamCache } from '../../cache/tae-cache.ts';
import type { RgbFrames } from '../frames.ts';
import type { EncoderStream } from '../../cache/tae-cache.ts';
import type { VaceFrameEncoder } from './vace-context.ts';
import type { F32Tensor } from '../model/tensor.ts';
import { rgbFramesToTensor, tensorToRgbFrames } from '../model/tae/frames.ts';
import type { TaeDecoderState, TaeEncoderState } from '../model/tae/state.ts';

/** What the adapters need of the TAE runner (TaeModel implements it). */
export interface TaeCodec {
  encode(frames: F32Tensor, state?: TaeEncoderState): Promise<F32Tensor>;
  decode(latents: F32Tensor, state?: TaeDecoderState): Promise<F32Tensor>;
}

/** VaceFrameEncoder over the TAE: each stream reads and writes only the cache the policy gives it. */
export class TaeVaceEncoder implements VaceFrameEncoder {
  readonly #codec: Pick<TaeCodec, 'encode'>;
  readonly #caches: TaeStreamCache;

  constructor(codec: Pick<TaeCodec, 'encode'>, caches: TaeStreamCache) {
    this.#codec = codec;
    this.#caches = caches;
  }

  encode(frames: F32Tensor, stream: EncoderStream, useCache: boolean): Promise<F32Tensor> {
    return this.#codec.encode(frames, this.#caches.vaceEncoderState(stream, useCache));
  }
}

export class TaeStreamVae {
  readonly caches: TaeStreamCache;
  readonly vace: VaceFrameEncoder;
  readonly #codec: TaeCodec;
  #scratch: F32Tensor | undefined;

  constructor(codec: TaeCodec, caches: TaeStreamCache = new TaeStreamCache()) {
    this.#codec = codec;
    this.caches = caches;
    this.vace = new TaeVaceEncoder(codec, caches);
  }

  /** Input video of a chunk → latents [C_lat, ⌈F/4⌉, H/8, W/8], streaming through the V2V cache. */
  async encodeVideo(frames: RgbFrames): Promise<F32Tensor> {
    const shape = [3, frames.count, frames.height, frames.width].join();
    // The pixel tensor is reused while the chunk shape stays (13 then 12 frames: two shapes).
    if (this.#scratch?.shape.join() !== shape) this.#scratch = undefined;
    this.#scratch = rgbFramesToTensor(frames, this.#scratch);
    return this.#codec.encode(this.#scratch, this.caches.video);
  }

  /** Latents of a chunk → uint8 frames through the decoder cache (the first call after reset yields 3 fewer). */
  async decodeVideo(latents: F32Tensor, out?: RgbFrames): Promise<RgbFrames> {
    return tensorToRgbFrames(await this.#codec.decode(latents, this.caches.decoder), out);
  }

  reset(): void {
    this.caches.reset();
  }
}
