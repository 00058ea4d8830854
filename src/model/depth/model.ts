/**
 * Runs Video-Depth-Anything for one net size: scope's streaming (one frame per run; the first
 * frame of a call without a cache, each later frame attending to the previous one) and, for
 * tests, the all-frames-at-once forward. Streaming uses ONE graph for both kinds of frame (its
 * `cache_valid` input masks the cache out for a first frame), so the weights load once.
 */
import { paramSource } from '../onnx/params.ts';
import type { WeightReader } from '../weights/reader.ts';
import { ModelSession, type SessionOptions } from '../runtime/session.ts';
import { f32, type F32Tensor, type Tensor } from '../tensor.ts';
import { checkDepthWeights, type DepthConfig } from './config.ts';
import { CACHE_ENTRIES } from './dpt-head.ts';
import { CACHE_VALID_INPUT, buildDepthGraph, cacheInputName, cacheOutputName, depthCacheShapes } from './graph.ts';
import { interpolatePosEmbed } from './pos-embed.ts';

export interface DepthFrameResult {
  /** [1, h, w] */
  readonly depth: F32Tensor;
  readonly cache: F32Tensor[];
  /** With `debug`: `dino.layer{i}.patch` [1, N, E] and `dino.layer{i}.cls` [1, E]. */
  readonly debug: Record<string, F32Tensor>;
}

export interface DepthModelOptions extends SessionOptions {
  debug?: boolean;
}

function posEmbedFor(cfg: DepthConfig, weights: WeightReader, netH: number, netW: number): F32Tensor {
  return interpolatePosEmbed(weights.getF32('pretrained.pos_embed'), cfg.posGrid, netH / cfg.patchSize, netW / cfg.patchSize, cfg.interpolateOffset);
}

function collect(out: Record<string, Tensor>, debug: boolean): DepthFrameResult {
  const cache: F32Tensor[] = [];
  for (let i = 0; i < CACHE_ENTRIES; i++) cache.push(out[cacheOutputName(i)] as F32Tensor);
  const dbg: Record<string, F32Tensor> = {};
  if (debug) for (const [k, v] of Object.entries(out)) if (k.startsWith('dino.')) dbg[k] = v as F32Tensor;
  return { depth: out.depth as F32Tensor, cache, debug: dbg };
}

export class DepthModel {
  readonly cfg: DepthConfig;
  readonly netH: number;
  readonly netW: number;
  readonly #session: ModelSession;
  readonly #debug: boolean;
  /** Fed with cache_valid = false for the first frame of a call (any finite values would do). */
  readonly #emptyCache: F32Tensor[];

  private constructor(cfg: DepthConfig, netH: number, netW: number, session: ModelSession, debug: boolean) {
    this.cfg = cfg;
    this.netH = netH;
    this.netW = netW;
    this.#session = session;
    this.#debug = debug;
    this.#emptyCache = depthCacheShapes(cfg, netH, netW).map((s) => f32(s));
  }

  static async load(cfg: DepthConfig, weights: WeightReader, netH: number, netW: number, opts: DepthModelOptions = {}): Promise<DepthModel> {
    checkDepthWeights(cfg, weights);
    const pos = posEmbedFor(cfg, weights, netH, netW);
    const p = (g: Parameters<typeof paramSource>[0]) => paramSource(g, weights);
    const debug = opts.debug ?? false;
    const graph = buildDepthGraph(cfg, { frames: 1, netH, netW, cached: true, optionalCache: true }, p, pos, { debug });
    return new DepthModel(cfg, netH, netW, await ModelSession.fromGraph(graph, opts), debug);
  }

  /** One frame [1, 3, h, w]; `cache` from the previous frame's result, or none for the first. */
  async frame(image: F32Tensor, cache?: readonly F32Tensor[]): Promise<DepthFrameResult> {
    if (cache && cache.length !== CACHE_ENTRIES) throw new Error(`depth: cache has ${cache.length} entries, expected ${CACHE_ENTRIES}`);
    const feeds: Record<string, Tensor> = { image, [CACHE_VALID_INPUT]: { dtype: 'bool', shape: [1], data: Uint8Array.of(cache ? 1 : 0) } };
    (cache ?? this.#emptyCache).forEach((c, i) => (feeds[cacheInputName(i)] = c));
    return collect(await this.#session.run(feeds), this.#debug);
  }

  /** scope's call: frames [T, 3, h, w] one at a time, the cache starting empty → depth [T, h, w]. */
  async streamCall(images: F32Tensor, onFrame?: (t: number, r: DepthFrameResult) => void): Promise<F32Tensor> {
    const [T, C, h, w] = images.shape as [number, number, number, number];
    if (h !== this.netH || w !== this.netW || C !== 3) throw new Error(`depth: input [${images.shape.join(', ')}] does not fit the ${this.netH}×${this.netW} model`);
    const plane = h * w;
    const out = new Float32Array(T * plane);
    let cache: F32Tensor[] | undefined;
    for (let t = 0; t < T; t++) {
      const r = await this.frame(f32([1, 3, h, w], images.data.subarray(t * 3 * plane, (t + 1) * 3 * plane)), cache);
      out.set(r.depth.data, t * plane);
      cache = r.cache;
      onFrame?.(t, r);
    }
    return f32([T, h, w], out);
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

/** VideoDepthAnything.forward on all frames at once (temporal attention across them, no cache) → [T, h, w]. */
export async function depthClipForward(cfg: DepthConfig, weights: WeightReader, images: F32Tensor, opts: SessionOptions = {}): Promise<F32Tensor> {
  checkDepthWeights(cfg, weights);
  const [T, , h, w] = images.shape as [number, number, number, number];
  const p = (g: Parameters<typeof paramSource>[0]) => paramSource(g, weights);
  const session = await ModelSession.fromGraph(buildDepthGraph(cfg, { frames: T, netH: h, netW: w, cached: false }, p, posEmbedFor(cfg, weights, h, w)), opts);
  try {
    return (await session.run({ image: images }, ['depth'])).depth as F32Tensor;
  } finally {
    await session.release();
  }
}
