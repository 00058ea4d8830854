/**
 * Named Wan model configurations (data). `wan-1.3b` is the real Wan2.1-T2V-1.3B + VACE module;
 * the small ones exist for inspection, tests and benchmarks (`tiny` = the bench/fixture size).
 */
import { parseWanConfig, WAN_1_3B, type WanConfig } from './config.ts';

export interface WanPreset {
  config: WanConfig;
  /** Default latent chunk geometry: frames per chunk and latent height × width. */
  latent: { frames: number; height: number; width: number };
  description: string;
}

export const WAN_PRESETS: Record<string, WanPreset> = {
  'wan-1.3b': {
    config: WAN_1_3B,
    latent: { frames: 3, height: 40, width: 72 },
    description: 'Wan2.1-T2V-1.3B with the 1.3B VACE module (15 VACE blocks), 320×576 output',
  },
  tiny: {
    config: parseWanConfig({
      patch_size: [1, 2, 2], text_len: 16, in_dim: 16, dim: 96, ffn_dim: 192, freq_dim: 256, text_dim: 32, out_dim: 16,
      num_heads: 3, num_layers: 4, qk_norm: true, cross_attn_norm: true, eps: 1e-6, vace_layers: [0, 2], vace_in_dim: 96,
    }),
    latent: { frames: 3, height: 8, width: 8 },
    description: 'tiny test model (dim 96, 4 layers, VACE on 0 and 2), 64×64 output',
  },
};

export function wanPreset(name: string): WanPreset {
  const p = WAN_PRESETS[name];
  if (!p) throw new Error(`unknown Wan preset "${name}" (known: ${Object.keys(WAN_PRESETS).join(', ')})`);
  return p;
}
