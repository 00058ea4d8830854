/**
 * Matrix-product FLOPs of one steady-state chunk of the causal stream (2 per multiply-add), the
 * way /work/shared/bench/README.md counts them, so measured times can be turned into GFLOP/s and
 * set beside the upstream figures. Steady state: the chunk attends to a full cache window.
 */
import type { WanConfig } from '../src/model/wan/config.ts';
import { flexAttentionPadding } from '../src/model/wan/graphs.ts';

export interface ChunkGeometry {
  /** Tokens of one chunk (frames × tokens per frame). */
  tokens: number;
  /** Keys a main-pass self-attention sees in steady state (cache window incl. the chunk). */
  attendedTokens: number;
  /** Denoising steps per chunk (the clean pass comes on top). */
  steps: number;
}

/** Multiply-adds of one transformer block over `L` tokens attending to `A` keys. */
function blockMacs(cfg: WanConfig, L: number, A: number): number {
  const { dim, ffn_dim, text_len } = cfg;
  const selfProj = 4 * L * dim * dim;
  const selfAttn = 2 * L * A * dim;
  // Text keys/values are left out as upstream caches them per prompt (crossattn_cache); our
  // graph recomputes them each pass, 2·text_len·dim² multiply-adds per block, a small extra.
  const crossProj = 2 * L * dim * dim;
  const crossAttn = 2 * L * text_len * dim;
  const ffn = 2 * L * dim * ffn_dim;
  return selfProj + selfAttn + crossProj + crossAttn + ffn;
}

/** One main pass (patch embedding, blocks, head). */
export function mainPassFlops(cfg: WanConfig, g: ChunkGeometry): number {
  const patch = cfg.patch_size.reduce((a, b) => a * b, 1);
  const L = g.tokens;
  const embed = L * cfg.in_dim * patch * cfg.dim;
  const head = L * cfg.dim * patch * cfg.out_dim;
  return 2 * (embed + cfg.num_layers * blockMacs(cfg, L, g.attendedTokens) + head);
}

/** One VACE hint pass: context patch embedding, before_proj, the VACE blocks and their after_proj. */
export function hintPassFlops(cfg: WanConfig, g: ChunkGeometry): number {
  const layers = cfg.vace_layers?.length ?? 0;
  if (layers === 0) return 0;
  const patch = cfg.patch_size.reduce((a, b) => a * b, 1);
  const L = g.tokens;
  // scope's causal VACE self-attention also sees zero keys padding the chunk to 128 tokens.
  const A = L + flexAttentionPadding(L);
  const embed = L * (cfg.vace_in_dim ?? 96) * patch * cfg.dim;
  const proj = L * cfg.dim * cfg.dim;
  return 2 * (embed + proj + layers * (blockMacs(cfg, L, A) + proj));
}

export function chunkFlops(cfg: WanConfig, g: ChunkGeometry, vace: boolean): number {
  const main = (g.steps + 1) * mainPassFlops(cfg, g);
  return vace ? main + g.steps * hintPassFlops(cfg, g) : main;
}
