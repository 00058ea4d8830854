/**
 * The Wan2.1 DiT as three ONNX graphs with one job each:
 *  - text:  context [text_len, text_dim] → embedded context [text_len, dim] (once per prompt);
 *  - hints: the VACE chain (vace patch embedding, before_proj, VACE blocks, after_proj) →
 *           hints [n_vace, L, dim]; hints depend only on x, t, the text and the VACE context,
 *           never on main-block outputs, so they are their own graph;
 *  - main:  patch embedding, time embedding, the main blocks (optionally attending to a KV cache
 *           and adding `hints · context_scale` after the VACE layers), head, unpatchify.
 * context_scale is a runtime input: changing it never rebuilds a graph.
 */
import { Graph, type Value } from '../onnx/graph.ts';
import type { KernelSet } from '../onnx/kernels.ts';
import { linear, type ParamSource } from '../onnx/nn.ts';
import { add, concat, gather, gelu, gemmTransB, layerNormalization, mul, pad, reshape, silu, slice, transpose, unsqueeze } from '../onnx/ops.ts';
import { attentionBlock, RESIDUAL_FP32, type BlockContext } from './block.ts';
import { tokenGrid, type TokenGrid, type WanConfig } from './config.ts';

export interface ChunkShape {
  latentFrames: number;
  latentH: number;
  latentW: number;
}

/** Why the time embedding stays float32 in the float16 variant (the sinusoid itself is computed on the host in float64). */
const TIME_EMBEDDING_FP32 = 'Wan time embedding and projection: float32 upstream (amp.autocast float32), they feed every modulation';

type Params = ParamSource & { view(name: string, viewShape: readonly number[]): Value };

/** x [C, F, H, W] → tokens [L, C·pt·ph·pw] in (f, h, w) raster order, features ordered (c, p, q, r) like the Conv3d kernel. */
function patchify(x: Value, cfg: WanConfig, grid: TokenGrid, channels: number): Value {
  const [pt, ph, pw] = cfg.patch_size;
  const r = reshape(x, [channels, grid.frames, pt, grid.height, ph, grid.width, pw]);
  const t = transpose(r, [1, 3, 5, 0, 2, 4, 6]);
  return reshape(t, [grid.frames * grid.height * grid.width, channels * pt * ph * pw]);
}

/** Conv3d with kernel = stride = patch size, as a Gemm on patchified tokens. */
function patchEmbedding(x: Value, p: Params, name: string, cfg: WanConfig, grid: TokenGrid, channels: number): Value {
  const [pt, ph, pw] = cfg.patch_size;
  const w = p.view(`${name}.weight`, [cfg.dim, channels * pt * ph * pw]);
  const tokens = patchify(x, cfg, grid, channels);
  return gemmTransB(tokens, w, p(`${name}.bias`, [cfg.dim]));
}

/** Time embedding e [F, dim] and per-frame projection e0 [F, 6, dim] from the sinusoid input [F, freq_dim]. */
function timeEmbedding(tSin: Value, p: Params, cfg: WanConfig): { e: Value; e0: Value; e0flat: Value } {
  return tSin.graph.fp32Region(TIME_EMBEDDING_FP32, () => {
    const e = linear(silu(linear(tSin, p, 'time_embedding.0')), p, 'time_embedding.2');
    const e0flat = linear(silu(e), p, 'time_projection.1');
    return { e, e0: reshape(e0flat, [-1, 6, cfg.dim]), e0flat };
  });
}

interface CommonInputs {
  x: Value;
  tSin: Value;
  ctx: Value;
  ropeCos: Value;
  ropeSin: Value;
}

function commonInputs(g: Graph, cfg: WanConfig, shape: ChunkShape, grid: TokenGrid): CommonInputs {
  const L = grid.frames * grid.height * grid.width;
  const c = cfg.dim / cfg.num_heads / 2;
  return {
    x: g.input('x', 'float32', [cfg.in_dim, shape.latentFrames, shape.latentH, shape.latentW]),
    tSin: g.input('t_sin', 'float32', [grid.frames, cfg.freq_dim]),
    ctx: g.input('context', 'float32', [cfg.text_len, cfg.dim]),
    ropeCos: g.input('rope_cos', 'float32', [L, c]),
    ropeSin: g.input('rope_sin', 'float32', [L, c]),
  };
}

function blockContext(cfg: WanConfig, grid: TokenGrid, inp: CommonInputs, e0: Value): BlockContext {
  const c = cfg.dim / cfg.num_heads / 2;
  return {
    cfg,
    grid,
    e0,
    ctx: inp.ctx,
    ropeCos: reshape(inp.ropeCos, [-1, 1, c, 1]),
    ropeSin: reshape(inp.ropeSin, [-1, 1, c, 1]),
  };
}

/** text: context [text_len, text_dim] → Linear → GELU(tanh) → Linear → [text_len, dim]. */
export function buildTextEmbeddingGraph(cfg: WanConfig, p: (g: Graph) => Params): Graph {
  const g = new Graph('wan_text_embedding');
  const params = p(g);
  const ctx = g.input('context', 'float32', [cfg.text_len, cfg.text_dim]);
  const out = linear(gelu(linear(ctx, params, 'text_embedding.0'), 'tanh'), params, 'text_embedding.2');
  g.output(out, 'context_emb');
  return g;
}

export interface MainGraphOptions {
  /**
   * Attend to a KV cache of earlier frames: inputs cache_k.i / cache_v.i [P, dim] (P dynamic) and
   * fresh_from (first current token attended), outputs new_k.i / new_v.i for all current tokens.
   */
  cache?: boolean;
  /** Add VACE hints: inputs `hints` [n_vace, L, dim] and `context_scale` [1]. */
  hints?: boolean;
  /** Extra outputs for golden tests (embeddings, every block's output, head). */
  debug?: boolean;
  /** Fused kernels to build with (onnx/kernels.ts); plain ops by default. */
  kernels?: KernelSet;
}

export function buildMainGraph(cfg: WanConfig, shape: ChunkShape, p: (g: Graph) => Params, opts: MainGraphOptions = {}): Graph {
  const g = new Graph('wan_dit', { kernels: opts.kernels });
  const params = p(g);
  const grid = tokenGrid(cfg, shape.latentFrames, shape.latentH, shape.latentW);
  const L = grid.frames * grid.height * grid.width;
  const inp = commonInputs(g, cfg, shape, grid);
  const vaceLayers = cfg.vace_layers ?? [];
  const hints = opts.hints ? g.input('hints', 'float32', [vaceLayers.length, L, cfg.dim]) : undefined;
  const scale = opts.hints ? g.input('context_scale', 'float32', [1]) : undefined;
  if (opts.hints && vaceLayers.length === 0) throw new Error('hints requested but the config has no vace_layers');

  let x = patchEmbedding(inp.x, params, 'patch_embedding', cfg, grid, cfg.in_dim);
  const { e, e0, e0flat } = timeEmbedding(inp.tSin, params, cfg);
  if (opts.debug) {
    g.output(x, 'debug.patch_embedding');
    g.output(e, 'debug.time_embedding');
    g.output(e0flat, 'debug.time_projection');
  }
  const b = blockContext(cfg, grid, inp, e0);
  const freshFrom = opts.cache ? g.input('fresh_from', 'int64', [1]) : undefined;
  for (let i = 0; i < cfg.num_layers; i++) {
    const cacheK = opts.cache ? g.input(`cache_k.${i}`, 'float32', ['P', cfg.dim]) : undefined;
    const cacheV = opts.cache ? g.input(`cache_v.${i}`, 'float32', ['P', cfg.dim]) : undefined;
    const r = attentionBlock(x, params, `blocks.${i}`, b, { cacheK, cacheV, freshFrom });
    x = r.x;
    if (opts.cache) {
      g.output(r.k, `new_k.${i}`);
      g.output(r.v, `new_v.${i}`);
    }
    const j = vaceLayers.indexOf(i);
    if (hints && scale && j >= 0) {
      const hint = reshape(gather(hints, g.constant(j, 'int64', [])), [L, cfg.dim]);
      x = g.fp32Region(RESIDUAL_FP32, () => add(x, mul(hint, scale)));
    }
    if (opts.debug) g.output(x, `debug.block.${i}`);
  }

  // Head: modulation from e (not e0), then unpatchify. Upstream runs all of it in float32.
  const [pt, ph, pw] = cfg.patch_size;
  const head = g.fp32Region('Wan head: modulation, norm and projection are float32 upstream (amp.autocast float32)', () => {
    const hm = add(params('head.modulation', [1, 2, cfg.dim]), unsqueeze(e, [1])); // [F, 2, dim]
    const shift = slice(hm, [0], [1], [1]);
    const scaleH = slice(hm, [1], [2], [1]);
    const fs = grid.height * grid.width;
    const xn = reshape(layerNormalization(x, cfg.eps), [grid.frames, fs, cfg.dim]);
    const hx = reshape(add(mul(xn, add(scaleH, 1)), shift), [L, cfg.dim]);
    return linear(hx, params, 'head.head');
  });
  if (opts.debug) g.output(head, 'debug.head');
  const u = reshape(head, [grid.frames, grid.height, grid.width, pt, ph, pw, cfg.out_dim]);
  const flow = reshape(transpose(u, [6, 0, 3, 1, 4, 2, 5]), [cfg.out_dim, shape.latentFrames, shape.latentH, shape.latentW]);
  g.output(flow, 'flow');
  return g;
}

export interface HintGraphOptions {
  /** Latent frames of the VACE context; truncated / zero-filled to the chunk's token count (as scope does). */
  contextFrames?: number;
  /** Zero keys appended in VACE self-attention (causal scope: pad the chunk to a multiple of 128 tokens). */
  zeroKeys?: number;
  debug?: boolean;
  /** Fused kernels to build with (onnx/kernels.ts); plain ops by default. */
  kernels?: KernelSet;
}

export function buildHintGraph(cfg: WanConfig, shape: ChunkShape, p: (g: Graph) => Params, opts: HintGraphOptions = {}): Graph {
  const vaceLayers = cfg.vace_layers;
  const vaceIn = cfg.vace_in_dim;
  if (!vaceLayers || vaceLayers.length === 0 || !vaceIn) throw new Error('the config has no VACE layers (vace_layers / vace_in_dim)');
  const g = new Graph('wan_vace_hints', { kernels: opts.kernels });
  const params = p(g);
  const grid = tokenGrid(cfg, shape.latentFrames, shape.latentH, shape.latentW);
  const L = grid.frames * grid.height * grid.width;
  const inp = commonInputs(g, cfg, shape, grid);
  const cFrames = opts.contextFrames ?? shape.latentFrames;
  const vaceCtx = g.input('vace_context', 'float32', [vaceIn, cFrames, shape.latentH, shape.latentW]);

  const x = patchEmbedding(inp.x, params, 'patch_embedding', cfg, grid, cfg.in_dim);
  const { e0 } = timeEmbedding(inp.tSin, params, cfg);
  const cGrid = tokenGrid(cfg, cFrames, shape.latentH, shape.latentW);
  let c = patchEmbedding(vaceCtx, params, 'vace_patch_embedding', cfg, cGrid, vaceIn);
  if (opts.debug) g.output(c, 'debug.vace_patch_embedding');
  const Lc = cGrid.frames * cGrid.height * cGrid.width;
  if (Lc > L) c = slice(c, [0], [L], [0]);
  else if (Lc < L) c = pad(c, [0, 0, L - Lc, 0]);
  const b = blockContext(cfg, grid, inp, e0);
  const before = linear(c, params, 'vace_blocks.0.before_proj');
  c = g.fp32Region(RESIDUAL_FP32, () => add(before, x));
  const hints: Value[] = [];
  vaceLayers.forEach((_, j) => {
    c = attentionBlock(c, params, `vace_blocks.${j}`, b, { zeroKeys: opts.zeroKeys }).x;
    const hint = linear(c, params, `vace_blocks.${j}.after_proj`);
    if (opts.debug) g.output(hint, `debug.hint.${j}`);
    hints.push(unsqueeze(hint, [0]));
  });
  g.output(hints.length === 1 ? hints[0]! : concat(hints, 0), 'hints');
  return g;
}

/** Zero keys scope's causal VACE blocks attend to: the chunk padded to a multiple of 128 tokens. */
export function flexAttentionPadding(tokens: number): number {
  return (128 - (tokens % 128)) % 128;
}
