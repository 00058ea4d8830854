/**
 * The per-chunk denoising loop of the causal streaming generator (LongLive in scope):
 * for each chunk of `chunkFrames` latent frames, few-step flow matching — every step predicts
 * x0 and re-noises to the next level — with VACE hints per step, then one clean pass at t = 0
 * WITHOUT VACE whose keys/values are what later chunks attend to (so cached K/V never carry
 * hints). Latents are [C, F, H, W]; every model call plans, reads and commits the KV cache.
 */
import { KVCache } from '../../cache/kv-cache.ts';
import type { WanModel } from '../model/wan/model.ts';
import { f32, type F32Tensor } from '../model/tensor.ts';
import type { ChunkNoise } from './noise.ts';
import { FlowMatchScheduler, DEFAULT_DENOISING_STEPS } from './scheduler.ts';

export interface CausalStreamOptions {
  sinkFrames: number;
  windowFrames: number;
  steps?: readonly number[];
  scheduler?: FlowMatchScheduler;
}

export interface ChunkRequest {
  contextEmb: F32Tensor;
  noise: ChunkNoise;
  /** VACE context [96, F_c, H, W] for this chunk; absent = no hints this chunk. */
  vaceContext?: F32Tensor;
  /** Precomputed hints per step (reference-hint cache); used instead of `vaceContext`. */
  hintsForStep?: (step: number, xt: F32Tensor, t: number) => Promise<F32Tensor | undefined>;
  contextScale?: number;
  /** V2V: start from these clean latents noised to the first step (text mode when absent). */
  inputLatents?: F32Tensor;
  /** Step list override for this chunk (e.g. v2vSteps). */
  steps?: readonly number[];
  /** Observer of every intermediate (golden tests, debugging). */
  record?: (name: string, t: F32Tensor) => void;
}

export interface ChunkTimings {
  stepsMs: number[];
  hintsMs: number[];
  cleanMs: number;
}

export interface ChunkResult {
  latents: F32Tensor;
  startFrame: number;
  timings: ChunkTimings;
}

export class CausalStream {
  readonly model: WanModel;
  readonly kv: KVCache;
  readonly scheduler: FlowMatchScheduler;
  readonly steps: readonly number[];
  #startFrame = 0;
  readonly #recent: { startFrame: number; latents: F32Tensor }[] = [];

  constructor(model: WanModel, opts: CausalStreamOptions) {
    this.model = model;
    const grid = model.grid;
    this.kv = new KVCache({
      numLayers: model.cfg.num_layers,
      dim: model.cfg.dim,
      tokensPerFrame: grid.height * grid.width,
      sinkFrames: opts.sinkFrames,
      windowFrames: opts.windowFrames,
    });
    this.scheduler = opts.scheduler ?? new FlowMatchScheduler();
    this.steps = opts.steps ?? DEFAULT_DENOISING_STEPS;
  }

  /** Absolute latent frame where the next chunk starts. */
  get startFrame(): number {
    return this.#startFrame;
  }

  reset(): void {
    this.kv.reset();
    this.#startFrame = 0;
    this.#recent.length = 0;
  }

  /**
   * KV recache after a prompt switch: re-runs the clean pass (t = 0, no VACE) of every chunk
   * still in the attention window — oldest first, each attending to the sink and the chunks
   * already re-encoded — with the new text embeddings. The sink is kept as it is (the
   * recompute bookkeeping never writes below it), like LongLive's global_sink. Returns the
   * number of chunks re-encoded.
   */
  async recache(contextEmb: F32Tensor): Promise<number> {
    for (const c of this.#recent) await this.#call(c.latents, 0, contextEmb, undefined, 0, c.startFrame);
    return this.#recent.length;
  }

  /** Clean latents of chunks in the window outside the sink (what a recache re-encodes). */
  #remember(startFrame: number, latents: F32Tensor): void {
    const { sinkFrames, windowFrames } = this.kv.config;
    const frames = this.model.shape.latentFrames;
    this.#recent.push({ startFrame, latents });
    // After this chunk the cache holds the sink and the latest (windowFrames − sinkFrames)
    // frames; chunks starting inside the sink are never re-run (a re-run at frame 0 would count
    // as a fresh write, not a recompute).
    const keepFrom = Math.max(sinkFrames, startFrame + frames - (windowFrames - sinkFrames));
    while (this.#recent.length && this.#recent[0]!.startFrame < keepFrom) this.#recent.shift();
  }

  async #call(x: F32Tensor, t: number, contextEmb: F32Tensor, hints: F32Tensor | undefined, scale: number, startFrame = this.#startFrame): Promise<F32Tensor> {
    const n = this.model.tokens;
    const fs = this.kv.config.tokensPerFrame;
    const plan = this.kv.plan(startFrame * fs, n);
    try {
      const prefix = this.kv.attendedPrefix(plan);
      const dim = this.model.cfg.dim;
      const out = await this.model.forward({
        x,
        timesteps: new Array<number>(this.model.grid.frames).fill(t),
        contextEmb,
        hints,
        contextScale: scale,
        startFrame,
        cache: {
          k: prefix.k.map((d) => f32([prefix.tokens, dim], d)),
          v: prefix.v.map((d) => f32([prefix.tokens, dim], d)),
          freshFrom: plan.freshFrom,
        },
      });
      this.kv.commit(
        plan,
        out.newK.map((k) => k.data),
        out.newV.map((v) => v.data),
      );
      return out.flow;
    } catch (e) {
      this.kv.abandon();
      throw e;
    }
  }

  async generateChunk(req: ChunkRequest): Promise<ChunkResult> {
    const { in_dim } = this.model.cfg;
    const { latentFrames, latentH, latentW } = this.model.shape;
    const shape = [in_dim, latentFrames, latentH, latentW];
    const size = in_dim * latentFrames * latentH * latentW;
    const steps = req.steps ?? this.steps;
    const scale = req.contextScale ?? 1;
    const timings: ChunkTimings = { stepsMs: [], hintsMs: [], cleanMs: 0 };
    const rec = req.record ?? (() => {});

    let xt: F32Tensor;
    const first = req.noise.initial(size);
    if (req.inputLatents) {
      // V2V: clean input latents noised to the first step's level.
      xt = f32(shape, this.scheduler.addNoise(req.inputLatents.data, first, steps[0]!));
    } else {
      xt = f32(shape, first);
    }
    let x0: F32Tensor = xt;
    for (let i = 0; i < steps.length; i++) {
      const t = steps[i]!;
      rec(`step.${i}.xt`, xt);
      let hints: F32Tensor | undefined;
      const h0 = performance.now();
      if (req.hintsForStep) hints = await req.hintsForStep(i, xt, t);
      else if (req.vaceContext) hints = (await this.model.hints(xt, new Array<number>(this.model.grid.frames).fill(t), req.contextEmb, req.vaceContext)).hints;
      timings.hintsMs.push(performance.now() - h0);
      const s0 = performance.now();
      const flow = await this.#call(xt, t, req.contextEmb, hints, scale);
      timings.stepsMs.push(performance.now() - s0);
      rec(`step.${i}.flow`, flow);
      x0 = f32(shape, this.scheduler.x0FromFlow(flow.data, xt.data, t));
      rec(`step.${i}.x0`, x0);
      if (i < steps.length - 1) {
        const eps = req.noise.renoise(i + 1, size);
        xt = f32(shape, this.scheduler.addNoise(x0.data, eps, steps[i + 1]!));
      }
    }
    rec('latents', x0);
    // Clean pass: t = 0, no VACE; only its cache writes matter.
    const c0 = performance.now();
    const cleanFlow = await this.#call(x0, 0, req.contextEmb, undefined, 0);
    timings.cleanMs = performance.now() - c0;
    rec('clean_pass.flow', cleanFlow);
    const startFrame = this.#startFrame;
    this.#remember(startFrame, x0);
    this.#startFrame += latentFrames;
    return { latents: x0, startFrame, timings };
  }
}
