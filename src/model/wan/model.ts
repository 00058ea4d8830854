/**
 * Runs the Wan2.1 DiT graphs for one chunk shape: text embedding (once per prompt), VACE
 * hints, and the main pass (optionally attending to a KV cache). Inputs and outputs are our
 * own tensors; the RoPE tables and timestep sinusoid are computed here.
 */
import { kernelSet } from '../onnx/kernels.ts';
import { paramSource } from '../onnx/params.ts';
import type { WeightReader } from '../weights/reader.ts';
import { ModelSession, type SessionOptions } from '../runtime/session.ts';
import { f32, i64, type F32Tensor, type Tensor } from '../tensor.ts';
import { tokenGrid, type TokenGrid, type WanConfig } from './config.ts';
import { padTextContext, ropeTables, timestepSinusoid } from './embeddings.ts';
import { buildHintGraph, buildMainGraph, buildTextEmbeddingGraph, flexAttentionPadding, type ChunkShape } from './graphs.ts';

export interface WanModelOptions extends SessionOptions {
  /** Build the VACE hint graph (needs vace_layers in the config and vace_* weights). */
  vace?: boolean;
  /** Main graph attends to a KV cache and returns the chunk's K/V. */
  cache?: boolean;
  /**
   * 'causal' reproduces scope's CausalVaceWanModel: VACE self-attention also attends to zero
   * keys padding the chunk to a multiple of 128 tokens. 'noncausal' is Wan2.1's VaceWanModel.
   */
  vaceAttention?: 'causal' | 'noncausal';
  /** Latent frames of the VACE context when they differ from the chunk's (references prepended). */
  vaceContextFrames?: number;
  debug?: boolean;
}

export interface MainInputs {
  x: F32Tensor; // [C, F, H, W]
  timesteps: readonly number[]; // one per latent frame
  contextEmb: F32Tensor; // [text_len, dim]
  hints?: F32Tensor; // [n_vace, L, dim]
  contextScale?: number;
  /** Cached K/V of earlier frames per block, [P, dim] each; absolute frame of the chunk's first frame. */
  cache?: { k: readonly F32Tensor[]; v: readonly F32Tensor[]; freshFrom?: number };
  startFrame?: number;
}

export interface MainOutputs {
  flow: F32Tensor;
  newK: F32Tensor[];
  newV: F32Tensor[];
  debug: Record<string, F32Tensor>;
}

export class WanModel {
  readonly cfg: WanConfig;
  readonly shape: ChunkShape;
  readonly grid: TokenGrid;
  readonly #text: ModelSession;
  readonly #main: ModelSession;
  readonly #hints: ModelSession | undefined;
  readonly #opts: WanModelOptions;
  readonly #emptyCache: F32Tensor;

  private constructor(cfg: WanConfig, shape: ChunkShape, text: ModelSession, main: ModelSession, hints: ModelSession | undefined, opts: WanModelOptions) {
    this.cfg = cfg;
    this.shape = shape;
    this.grid = tokenGrid(cfg, shape.latentFrames, shape.latentH, shape.latentW);
    this.#text = text;
    this.#main = main;
    this.#hints = hints;
    this.#opts = opts;
    this.#emptyCache = f32([0, cfg.dim]);
  }

  get tokens(): number {
    return this.grid.frames * this.grid.height * this.grid.width;
  }

  static async load(cfg: WanConfig, weights: WeightReader, shape: ChunkShape, opts: WanModelOptions = {}): Promise<WanModel> {
    const p = (g: Parameters<typeof paramSource>[0]) => paramSource(g, weights);
    const text = await ModelSession.fromGraph(buildTextEmbeddingGraph(cfg, p), opts);
    const kernels = kernelSet(opts.device, opts.kernels);
    const main = await ModelSession.fromGraph(buildMainGraph(cfg, shape, p, { cache: opts.cache, hints: opts.vace, debug: opts.debug, kernels }), opts);
    let hints: ModelSession | undefined;
    if (opts.vace) {
      const grid = tokenGrid(cfg, shape.latentFrames, shape.latentH, shape.latentW);
      const L = grid.frames * grid.height * grid.width;
      const zeroKeys = (opts.vaceAttention ?? 'causal') === 'causal' ? flexAttentionPadding(L) : 0;
      hints = await ModelSession.fromGraph(buildHintGraph(cfg, shape, p, { zeroKeys, debug: opts.debug, contextFrames: opts.vaceContextFrames, kernels }), opts);
    }
    return new WanModel(cfg, shape, text, main, hints, opts);
  }

  /** Text embeddings [rows ≤ text_len, text_dim] → embedded, zero-padded context [text_len, dim]. */
  async embedText(context: F32Tensor): Promise<F32Tensor> {
    const out = await this.#text.run({ context: padTextContext(this.cfg, context) });
    return out.context_emb as F32Tensor;
  }

  #common(x: F32Tensor, timesteps: readonly number[], contextEmb: F32Tensor, startFrame: number): Record<string, Tensor> {
    const expected = [this.cfg.in_dim, this.shape.latentFrames, this.shape.latentH, this.shape.latentW];
    if (x.shape.join() !== expected.join()) throw new Error(`latents have shape [${x.shape.join(', ')}], the graph was built for [${expected.join(', ')}]`);
    if (timesteps.length !== this.grid.frames) throw new Error(`${timesteps.length} timesteps for ${this.grid.frames} latent frames`);
    const rope = ropeTables(this.cfg, this.grid, startFrame);
    return { x, t_sin: timestepSinusoid(this.cfg.freq_dim, timesteps), context: contextEmb, rope_cos: rope.cos, rope_sin: rope.sin };
  }

  /** VACE hints [n_vace, L, dim] for this x, t and context (VACE blocks see frame positions from 0). */
  async hints(x: F32Tensor, timesteps: readonly number[], contextEmb: F32Tensor, vaceContext: F32Tensor): Promise<{ hints: F32Tensor; debug: Record<string, F32Tensor> }> {
    if (!this.#hints) throw new Error('this model was loaded without VACE');
    const out = await this.#hints.run({ ...this.#common(x, timesteps, contextEmb, 0), vace_context: vaceContext });
    return { hints: out.hints as F32Tensor, debug: pickDebug(out) };
  }

  async forward(inp: MainInputs): Promise<MainOutputs> {
    const feeds = this.#common(inp.x, inp.timesteps, inp.contextEmb, inp.startFrame ?? 0);
    if (this.#opts.vace) {
      const nV = this.cfg.vace_layers!.length;
      feeds.hints = inp.hints ?? f32([nV, this.tokens, this.cfg.dim]);
      feeds.context_scale = f32([1], [inp.hints ? (inp.contextScale ?? 1) : 0]);
    } else if (inp.hints) throw new Error('hints given to a model loaded without VACE');
    if (this.#opts.cache) {
      feeds.fresh_from = i64([1], [inp.cache?.freshFrom ?? 0]);
      for (let i = 0; i < this.cfg.num_layers; i++) {
        feeds[`cache_k.${i}`] = inp.cache?.k[i] ?? this.#emptyCache;
        feeds[`cache_v.${i}`] = inp.cache?.v[i] ?? this.#emptyCache;
      }
    }
    const out = await this.#main.run(feeds);
    const newK: F32Tensor[] = [];
    const newV: F32Tensor[] = [];
    if (this.#opts.cache) {
      for (let i = 0; i < this.cfg.num_layers; i++) {
        newK.push(out[`new_k.${i}`] as F32Tensor);
        newV.push(out[`new_v.${i}`] as F32Tensor);
      }
    }
    return { flow: out.flow as F32Tensor, newK, newV, debug: pickDebug(out) };
  }

  async release(): Promise<void> {
    await Promise.all([this.#text.release(), this.#main.release(), this.#hints?.release()]);
  }
}

function pickDebug(out: Record<string, Tensor>): Record<string, F32Tensor> {
  const d: Record<string, F32Tensor> = {};
  for (const [k, v] of Object.entries(out)) if (k.startsWith('debug.')) d[k.slice(6)] = v as F32Tensor;
  return d;
}
