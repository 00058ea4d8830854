/**
 * Runs the TAEHV graphs with scope's frame arithmetic. One ORT run per encode call and one
 * per decode call; MemBlock state goes in and comes out of each run (state.ts).
 *
 * - encode(frames [3, F, H, W] in [−1, 1], state?) → latents [C_lat, ⌈F/4⌉, H/8, W/8].
 *   Without a state it is a one-off batch encode (zero memory, nothing kept).
 * - decode(latents [C_lat, T, h, w], state?) → frames [3, 4T − trim, 8h, 8w] in [−1, 1].
 *   Without a state it is scope's batch decode (always trimmed).
 */
import { Graph } from '../onnx/graph.ts';
import type { WeightReader } from '../weights/reader.ts';
import { ModelSession, type SessionOptions } from '../runtime/session.ts';
import { f32, type F32Tensor, type Tensor } from '../tensor.ts';
import type { TaeConfig, TaeVariant } from './config.ts';
import { buildDecoderGraph, buildEncoderGraph } from './graphs.ts';
import { scaled, taeLayout, type TaeLayout } from './layout.ts';
import { TaeDecoderState, TaeEncoderState } from './state.ts';
import { checkTaeWeights, taeParams } from './weights.ts';

export interface TaeModelOptions extends SessionOptions {
  variant?: TaeVariant;
  /** Decoder also returns the network output before clamp and trim (tests). */
  debugRaw?: boolean;
  /** Build only one half (e.g. an encode-only worker). Default both. */
  parts?: 'both' | 'encoder' | 'decoder';
}

export interface DecodeResult {
  frames: F32Tensor;
  /** [4T, 3, H, W] before clamp and trim, with `debugRaw`. */
  raw?: F32Tensor;
}

export class TaeModel {
  readonly cfg: TaeConfig;
  readonly variant: TaeVariant;
  readonly #layout: TaeLayout;
  readonly #encoder: ModelSession | undefined;
  readonly #decoder: ModelSession | undefined;
  readonly #zeros = new Map<string, F32Tensor>();

  private constructor(cfg: TaeConfig, variant: TaeVariant, encoder: ModelSession | undefined, decoder: ModelSession | undefined) {
    this.cfg = cfg;
    this.variant = variant;
    this.#layout = taeLayout(cfg);
    this.#encoder = encoder;
    this.#decoder = decoder;
  }

  static async load(cfg: TaeConfig, weights: WeightReader, opts: TaeModelOptions = {}): Promise<TaeModel> {
    checkTaeWeights(cfg, weights);
    const parts = opts.parts ?? 'both';
    const graphOpts = { variant: opts.variant, debugRaw: opts.debugRaw };
    const build = (name: string, fn: typeof buildEncoderGraph) => {
      const g = new Graph(name);
      return fn(g, cfg, taeParams(g, cfg, weights), graphOpts);
    };
    const encoder = parts === 'decoder' ? undefined : await ModelSession.fromGraph(build('tae_encoder', buildEncoderGraph), opts);
    const decoder = parts === 'encoder' ? undefined : await ModelSession.fromGraph(build('tae_decoder', buildDecoderGraph), opts);
    return new TaeModel(cfg, opts.variant ?? 'tae', encoder, decoder);
  }

  /** Pixel frames a call of `frames` frames feeds the network (padded to a multiple of the temporal stride). */
  paddedFrames(frames: number): number {
    const s = this.cfg.temporal_downscale;
    return Math.ceil(frames / s) * s;
  }

  #zero(shape: readonly number[]): F32Tensor {
    const key = shape.join('x');
    let z = this.#zeros.get(key);
    if (!z) {
      z = f32(shape);
      this.#zeros.set(key, z);
    }
    return z;
  }

  /** Feeds `mem_in.k` from a state (zeros when fresh), checking it belongs to this resolution. */
  #memFeeds(feeds: Record<string, Tensor>, mems: TaeLayout['encoderMem'], height: number, width: number, state: TaeEncoderState | TaeDecoderState | undefined, what: string): void {
    const prev = state?.mem ?? null;
    if (prev && prev.length !== mems.length) throw new Error(`TAE ${what} state has ${prev.length} entries, the model has ${mems.length} MemBlocks`);
    for (const m of mems) {
      const shape = [1, m.channels, scaled(height, m.space, `${what} height`), scaled(width, m.space, `${what} width`)];
      const given = prev?.[m.slot];
      if (given && given.shape.join() !== shape.join()) {
        throw new Error(`TAE ${what} state ${m.slot} is [${given.shape.join(', ')}] but this call needs [${shape.join(', ')}]: reset the cache when the resolution changes`);
      }
      feeds[`mem_in.${m.slot}`] = given ?? this.#zero(shape);
    }
  }

  #nextState(out: Record<string, Tensor>, count: number): F32Tensor[] {
    return Array.from({ length: count }, (_, k) => out[`mem_out.${k}`] as F32Tensor);
  }

  async encode(frames: F32Tensor, state?: TaeEncoderState): Promise<F32Tensor> {
    if (!this.#encoder) throw new Error('this TaeModel was loaded without its encoder');
    const s = frames.shape;
    const sd = this.cfg.spatial_downscale;
    if (s.length !== 4 || s[0] !== this.cfg.image_channels || s[1]! < 1) {
      throw new Error(`TAE encode: frames must be [${this.cfg.image_channels}, F ≥ 1, H, W], got [${s.join(', ')}]`);
    }
    const [, count, height, width] = s as [number, number, number, number];
    if (height % sd !== 0 || width % sd !== 0) throw new Error(`TAE encode: frame size ${width}×${height} must be a multiple of ${sd}`);
    // Frame arithmetic (scope stream_encode / encode_video): EVERY call is padded at its end to
    // a multiple of the temporal stride by repeating its last frame — 13 frames become 16
    // (4 latents), 12 stay 12 (3 latents), a single reference image becomes 4 (1 latent). In
    // streaming mode the padded copies run through the MemBlocks and so become history.
    const padded = this.paddedFrames(count);
    const index = new BigInt64Array(padded);
    for (let i = 0; i < padded; i++) index[i] = BigInt(Math.min(i, count - 1));
    const feeds: Record<string, Tensor> = { frames, frame_index: { dtype: 'int64', shape: [padded], data: index } };
    this.#memFeeds(feeds, this.#layout.encoderMem, height, width, state, 'encoder');
    const out = await this.#encoder.run(feeds);
    if (state) state.mem = this.#nextState(out, this.#layout.encoderMem.length);
    return out.latents as F32Tensor;
  }

  async decode(latents: F32Tensor, state?: TaeDecoderState): Promise<F32Tensor> {
    return (await this.decodeDetailed(latents, state)).frames;
  }

  async decodeDetailed(latents: F32Tensor, state?: TaeDecoderState): Promise<DecodeResult> {
    if (!this.#decoder) throw new Error('this TaeModel was loaded without its decoder');
    const s = latents.shape;
    if (s.length !== 4 || s[0] !== this.cfg.latent_channels || s[1]! < 1) {
      throw new Error(`TAE decode: latents must be [${this.cfg.latent_channels}, T ≥ 1, h, w], got [${s.join(', ')}]`);
    }
    const [, count, h, w] = s as [number, number, number, number];
    const rawFrames = count * this.cfg.temporal_downscale;
    const trim = this.cfg.frames_to_trim;
    // Trim rule: batch decode (decode_video) always drops the first `frames_to_trim` frames;
    // streaming (stream_decode) drops them only on the first call after a reset, and only if
    // that call yields more frames than that — 4 latents → 16 − 3 = 13 frames, then 12 per 3.
    const skip = state ? (state.framesOut === 0 && rawFrames > trim ? trim : 0) : trim;
    const feeds: Record<string, Tensor> = { latents, skip: { dtype: 'int64', shape: [1], data: BigInt64Array.of(BigInt(skip)) } };
    this.#memFeeds(feeds, this.#layout.decoderMem, h, w, state, 'decoder');
    const out = await this.#decoder.run(feeds);
    const frames = out.frames as F32Tensor;
    if (state) {
      state.mem = this.#nextState(out, this.#layout.decoderMem.length);
      state.framesOut += frames.shape[1]!;
    }
    return { frames, ...(out.raw ? { raw: out.raw as F32Tensor } : {}) };
  }

  async release(): Promise<void> {
    await Promise.all([this.#encoder?.release(), this.#decoder?.release()]);
  }
}

export { TaeDecoderState, TaeEncoderState };
