/**
 * The streaming Wan2.1 + VACE generator behind the ChunkGenerator seam: one instance per
 * session (its KV cache, TAE caches and hint cache are the session's), sharing the loaded
 * models with other sessions. Per chunk, in one direction:
 *
 *   prompt → text encoder (cached) → DiT text embedding (cached)
 *   control frames + mask / references / extension anchors → VACE context (TAE encoders with
 *     separate inactive/reactive caches; static contexts encoded once)
 *   noise (or noised input latents in V2V) → 4 steps with hints → clean pass → latents
 *   latents → TAE decoder (decoder cache) → RGB frames
 *
 * Chunks are 12 pixel frames (3 latent frames). The first decoded chunk after a reset has
 * 3 frames fewer (the TAE decoder's warm-up trim, as upstream).
 */
import { PromptCache } from '../../cache/prompt-cache.ts';
import { ReferenceHintCache, type ReferenceHintMode } from '../../cache/reference-hint-cache.ts';
import { assertFrameSize, type RgbFrames } from '../frames.ts';
import type { TaeStreamVae } from './tae-stream-vae.ts';
import { f32, type F32Tensor } from '../model/tensor.ts';
import type { WanModel } from '../model/wan/model.ts';
import { CausalStream, type ChunkTimings } from './causal-stream.ts';
import { maskFramesToTensor, rgbFramesToCFHW } from './frame-tensors.ts';
import { PromptTransition } from './prompt-transition.ts';
import { cleanPrompt } from '../model/text/prompt-clean.ts';
import type { ChunkGenerator, ChunkInput, GenerationParams } from './generator-types.ts';
import { inferVaceMode, type VaceMode } from './mode.ts';
import { SeededNoise } from './noise.ts';
import { v2vSteps } from './scheduler.ts';
import { buildVaceContext, type VaceInputs } from './vace-context.ts';

/** Text → UMT5-style embeddings [rows ≤ text_len, text_dim] (padding rows zeroed). */
export interface PromptEncoder {
  /** `interpolation` blends weighted prompts (`a:0.7 | b:0.3`). */
  encode(prompt: string, interpolation?: 'linear' | 'slerp'): Promise<F32Tensor>;
}

export interface WanGeneratorOptions {
  id?: string;
  dit: WanModel;
  vae: TaeStreamVae;
  text: PromptEncoder;
  sinkFrames: number;
  windowFrames: number;
  /** Pixel frames per latent frame (TAE temporal stride, 4). */
  temporalStride?: number;
  /** Pixels per latent cell (TAE spatial stride, 8). */
  spatialStride?: number;
  referenceHints?: ReferenceHintMode;
  /** Shared across sessions: DiT text embeddings per cleaned prompt (keys arrive cleaned: use `keyOf: (k) => k`). */
  contextCache?: PromptCache;
  /** Chunks over which a prompt change blends from old to new (default 4; 1 = instant). */
  transitionChunks?: number;
}

export interface ChunkReport {
  mode: VaceMode | undefined;
  /** Position in a prompt transition (1 = fully the current prompt) and whether a recache ran before this chunk. */
  promptAlpha: number;
  recached: number;
  timings: ChunkTimings;
  vaceMs: number;
  decodeMs: number;
  totalMs: number;
  startFrame: number;
}

export class WanStreamGenerator implements ChunkGenerator {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly #dit: WanModel;
  readonly #vae: TaeStreamVae;
  readonly #text: PromptEncoder;
  readonly #stream: CausalStream;
  readonly #hintCache: ReferenceHintCache;
  readonly #contextCache: PromptCache;
  readonly #frames: number;
  readonly #transitionChunks: number | undefined;
  #transition: PromptTransition | undefined;
  /** Key of a prompt being encoded in the background (chunks keep the old conditioning meanwhile). */
  #pendingPrompt: string | undefined;
  #promptError: Error | undefined;
  #recaches = 0;
  #lastReport: ChunkReport | undefined;
  #disposed = false;

  constructor(opts: WanGeneratorOptions) {
    this.id = opts.id ?? 'wan-vace';
    this.#dit = opts.dit;
    this.#vae = opts.vae;
    this.#text = opts.text;
    const s = opts.spatialStride ?? 8;
    this.width = opts.dit.shape.latentW * s;
    this.height = opts.dit.shape.latentH * s;
    this.#frames = opts.dit.shape.latentFrames * (opts.temporalStride ?? 4);
    this.#stream = new CausalStream(opts.dit, { sinkFrames: opts.sinkFrames, windowFrames: opts.windowFrames });
    this.#hintCache = new ReferenceHintCache(opts.referenceHints ?? 'reuse');
    this.#contextCache = opts.contextCache ?? new PromptCache({ maxBytes: 64 << 20, keyOf: (k) => k });
    this.#transitionChunks = opts.transitionChunks;
  }

  /** KV recaches run so far (one per completed prompt transition). */
  get recaches(): number {
    return this.#recaches;
  }

  /**
   * The text conditioning of the next chunk. The first prompt is awaited; a changed prompt is
   * encoded in the background while chunks keep the current conditioning, then blended in over
   * the transition's chunks, with one KV recache when the new prompt is reached.
   */
  async #conditioning(prompt: string, p: GenerationParams): Promise<{ contextEmb: F32Tensor; alpha: number; recached: number }> {
    // The interpolation is part of what the text means: `a | b` blended linearly ≠ by slerp.
    const key = `${cleanPrompt(prompt)}${p.interpolation === 'slerp' ? '\u0000slerp' : ''}`;
    const blend = { chunks: p.transitionChunks ?? this.#transitionChunks, interpolation: p.interpolation };
    if (!this.#transition) {
      this.#transition = new PromptTransition(await this.#text.encode(prompt, p.interpolation), key, blend);
    } else if (key !== this.#transition.targetKey && key !== this.#pendingPrompt) {
      this.#pendingPrompt = key;
      const transition = this.#transition;
      this.#text.encode(prompt, p.interpolation).then(
        (emb) => {
          if (this.#transition === transition && this.#pendingPrompt === key) {
            transition.setTarget(emb, key, blend);
            this.#pendingPrompt = undefined;
          }
        },
        (e: Error) => {
          if (this.#pendingPrompt === key) this.#pendingPrompt = undefined;
          this.#promptError = new Error(`prompt "${prompt}" could not be encoded: ${e.message}`);
        },
      );
    }
    if (this.#promptError) {
      const e = this.#promptError;
      this.#promptError = undefined;
      throw e;
    }
    const c = this.#transition.next();
    // Steady state hits the cache; blended chunks of a transition are embedded on the fly.
    const contextEmb = c.alpha === 1 && !this.#transition.transitioning ? await this.#contextFor(this.#transition.targetKey, c.embedding) : await this.#dit.embedText(c.embedding);
    let recached = 0;
    if (c.recache) {
      recached = await this.#stream.recache(contextEmb);
      this.#recaches++;
    }
    return { contextEmb, alpha: c.alpha, recached };
  }

  get lastReport(): ChunkReport | undefined {
    return this.#lastReport;
  }

  get hintCacheStats() {
    return this.#hintCache.stats;
  }

  outputSize(): { width: number; height: number } {
    return { width: this.width, height: this.height };
  }

  framesForNextChunk(): number {
    return this.#frames;
  }

  /** DiT-ready text context (UMT5 + the DiT's text MLP) for a conditioning key, cached. */
  #contextFor(key: string, encoded: F32Tensor): Promise<F32Tensor> {
    return this.#contextCache.getOrCompute(key, () => this.#dit.embedText(encoded));
  }

  #checkFrames(frames: RgbFrames, what: string): void {
    assertFrameSize(frames);
    if (frames.width !== this.width || frames.height !== this.height || frames.count !== this.#frames) {
      throw new Error(`${what}: got ${frames.count} frames of ${frames.width}×${frames.height}, this model takes ${this.#frames} frames of ${this.width}×${this.height}`);
    }
  }

  /** The chunk's VACE context fitted to the chunk's latent frames (scope truncates / zero-fills to x's tokens). */
  #fitContext(ctx: F32Tensor): F32Tensor {
    const [C, T, H, W] = ctx.shape as [number, number, number, number];
    const F = this.#dit.shape.latentFrames;
    if (T === F) return ctx;
    const out = new Float32Array(C * F * H * W);
    const n = Math.min(T, F) * H * W;
    for (let c = 0; c < C; c++) out.set(ctx.data.subarray(c * T * H * W, c * T * H * W + n), c * F * H * W);
    return f32([C, F, H, W], out);
  }

  async generate(input: ChunkInput): Promise<RgbFrames> {
    if (this.#disposed) throw new Error(`${this.id}: generate() after dispose()`);
    const t0 = performance.now();
    this.#checkFrames(input.frames, 'input frames');
    if (input.control) this.#checkFrames(input.control.frames, 'control frames');
    const p = input.params;
    const { contextEmb, alpha, recached } = await this.#conditioning(p.prompt, p);

    // VACE context: per chunk when it depends on control frames, once when static.
    const v0 = performance.now();
    const vaceInputs: VaceInputs = {
      frames: input.control ? rgbFramesToCFHW(input.control.frames) : undefined,
      mask: input.control?.mask ? maskFramesToTensor(input.control.mask) : undefined,
      references: input.references?.length ? input.references : undefined,
      firstFrame: input.firstFrame,
      lastFrame: input.lastFrame,
    };
    const mode = inferVaceMode(vaceInputs);
    const config = { height: this.height, width: this.width, extensionFrames: this.#frames };
    let vaceContext: F32Tensor | undefined;
    let hintsForStep: ((step: number, xt: F32Tensor, t: number) => Promise<F32Tensor | undefined>) | undefined;
    if (mode.usesVace && mode.staticContext) {
      const key = ReferenceHintCache.keyOf(vaceInputs, (p.steps ?? this.#stream.steps).join(','));
      const ctx = await this.#hintCache.context(key, async () => this.#fitContext((await buildVaceContext(vaceInputs, this.#vae.vace, config))!.context));
      const frames = new Array<number>(this.#dit.grid.frames);
      hintsForStep = (step, xt, t) => this.#hintCache.hints(key, step, t, async () => (await this.#dit.hints(xt, frames.fill(t), contextEmb, ctx)).hints);
    } else if (mode.usesVace) {
      vaceContext = this.#fitContext((await buildVaceContext(vaceInputs, this.#vae.vace, config))!.context);
    }
    const vaceMs = performance.now() - v0;

    // V2V: the camera's latents noised to the first step.
    let inputLatents: F32Tensor | undefined;
    let steps = p.steps;
    if (p.noiseScale !== undefined) {
      inputLatents = await this.#vae.encodeVideo(input.frames);
      steps = v2vSteps(p.steps ?? this.#stream.steps, p.noiseScale);
    }
    const result = await this.#stream.generateChunk({
      contextEmb,
      noise: new SeededNoise(p.seed).forChunk(this.#stream.startFrame),
      vaceContext,
      hintsForStep,
      contextScale: p.contextScale,
      inputLatents,
      steps,
    });
    const d0 = performance.now();
    const frames = await this.#vae.decodeVideo(result.latents);
    const decodeMs = performance.now() - d0;
    this.#lastReport = { mode: mode.usesVace ? mode : undefined, promptAlpha: alpha, recached, timings: result.timings, vaceMs, decodeMs, totalMs: performance.now() - t0, startFrame: result.startFrame };
    return frames;
  }

  reset(): void {
    this.#stream.reset();
    this.#vae.reset();
    this.#hintCache.clear();
    // The next chunk starts from its prompt directly (no transition from the old session).
    this.#transition = undefined;
    this.#pendingPrompt = undefined;
  }

  async dispose(): Promise<void> {
    // Models are shared between sessions and released by their owner (the preset loader).
    this.#disposed = true;
    this.reset();
  }
}
