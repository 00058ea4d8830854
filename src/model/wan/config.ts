/**
 * Wan2.1 DiT (+ VACE) configuration, read from data: a fixture manifest's `config`, a bench
 * config's `model`, or a preset. Nothing in the graph code assumes a particular size.
 */
import { z } from 'zod';

export const WanConfigSchema = z.object({
  patch_size: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
  text_len: z.number().int().positive(),
  in_dim: z.number().int().positive(),
  dim: z.number().int().positive(),
  ffn_dim: z.number().int().positive(),
  freq_dim: z.number().int().positive(),
  text_dim: z.number().int().positive(),
  out_dim: z.number().int().positive(),
  num_heads: z.number().int().positive(),
  num_layers: z.number().int().positive(),
  qk_norm: z.boolean().default(true),
  cross_attn_norm: z.boolean().default(true),
  eps: z.number().positive().default(1e-6),
  vace_layers: z.array(z.number().int().nonnegative()).optional(),
  vace_in_dim: z.number().int().positive().optional(),
});

export type WanConfig = z.infer<typeof WanConfigSchema>;

/** Parses a config object, accepting the VACE fields either inside it or beside it (bench configs). */
export function parseWanConfig(raw: unknown, extra: { vace_layers?: number[]; vace_in_dim?: number } = {}): WanConfig {
  const merged = { ...(raw as Record<string, unknown>), ...Object.fromEntries(Object.entries(extra).filter(([, v]) => v !== undefined)) };
  const r = WanConfigSchema.safeParse(merged);
  if (!r.success) throw new Error(`invalid Wan config: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const cfg = r.data;
  if (cfg.dim % cfg.num_heads !== 0) throw new Error(`invalid Wan config: dim ${cfg.dim} is not divisible by num_heads ${cfg.num_heads}`);
  if ((cfg.dim / cfg.num_heads) % 2 !== 0) throw new Error(`invalid Wan config: head dim ${cfg.dim / cfg.num_heads} must be even for RoPE`);
  if (cfg.vace_layers) {
    if (!cfg.vace_layers.includes(0)) throw new Error('invalid Wan config: vace_layers must contain 0 (the VACE chain starts at block 0)');
    for (const l of cfg.vace_layers) if (l >= cfg.num_layers) throw new Error(`invalid Wan config: vace layer ${l} ≥ num_layers ${cfg.num_layers}`);
  }
  return cfg;
}

export function headDim(cfg: WanConfig): number {
  return cfg.dim / cfg.num_heads;
}

/** Wan2.1-T2V-1.3B (wan/configs/wan_t2v_1_3B.py) with the 1.3B VACE module (15 blocks on even layers). */
export const WAN_1_3B: WanConfig = parseWanConfig({
  patch_size: [1, 2, 2],
  text_len: 512,
  in_dim: 16,
  dim: 1536,
  ffn_dim: 8960,
  freq_dim: 256,
  text_dim: 4096,
  out_dim: 16,
  num_heads: 12,
  num_layers: 30,
  qk_norm: true,
  cross_attn_norm: true,
  eps: 1e-6,
  vace_layers: Array.from({ length: 15 }, (_, i) => 2 * i),
  vace_in_dim: 96,
});

/** Token grid of a latent video [F, H, W] after patching. */
export interface TokenGrid {
  frames: number;
  height: number;
  width: number;
}

export function tokenGrid(cfg: WanConfig, latentFrames: number, latentH: number, latentW: number): TokenGrid {
  const [pt, ph, pw] = cfg.patch_size;
  if (latentFrames % pt || latentH % ph || latentW % pw) {
    throw new Error(`latent size ${latentFrames}×${latentH}×${latentW} is not a multiple of the patch size ${cfg.patch_size.join('×')}`);
  }
  return { frames: latentFrames / pt, height: latentH / ph, width: latentW / pw };
}
