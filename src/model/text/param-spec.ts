/** Every parameter of a UMT5 encoder checkpoint (T5Encoder state-dict names) for a config. */
import type { Umt5Config } from './config.ts';

export function umt5Params(cfg: Umt5Config): Map<string, readonly number[]> {
  const spec = new Map<string, readonly number[]>();
  spec.set('token_embedding.weight', [cfg.vocab_size, cfg.dim]);
  for (let i = 0; i < cfg.encoder_layers; i++) {
    const p = `blocks.${i}`;
    spec.set(`${p}.norm1.weight`, [cfg.dim]);
    for (const w of ['q', 'k', 'v']) spec.set(`${p}.attn.${w}.weight`, [cfg.dim_attn, cfg.dim]);
    spec.set(`${p}.attn.o.weight`, [cfg.dim, cfg.dim_attn]);
    spec.set(`${p}.norm2.weight`, [cfg.dim]);
    spec.set(`${p}.ffn.gate.0.weight`, [cfg.dim_ffn, cfg.dim]);
    spec.set(`${p}.ffn.fc1.weight`, [cfg.dim_ffn, cfg.dim]);
    spec.set(`${p}.ffn.fc2.weight`, [cfg.dim, cfg.dim_ffn]);
    spec.set(`${p}.pos_embedding.embedding.weight`, [cfg.num_buckets, cfg.num_heads]);
  }
  spec.set('norm.weight', [cfg.dim]);
  return spec;
}

/**
 * The parameters an int8 encoder stores as 8-bit blocks: the token embedding (4.2 GB of umt5-xxl's
 * 22.7 GB as float32) and every projection. Norm weights and position tables (a few KB per
 * block) stay float32.
 */
export function umt5Int8Params(cfg: Umt5Config): Set<string> {
  return new Set([...umt5Params(cfg).keys()].filter((k) => k === 'token_embedding.weight' || /\.(attn\.[qkvo]|ffn\.(gate\.0|fc1|fc2))\.weight$/.test(k)));
}

/** How the encoder's weights are held in the session: float32, or 8-bit blocks (umt5Int8Params). */
export type Umt5WeightFormat = 'f32' | 'int8';

export const UMT5_WEIGHT_FORMATS: readonly Umt5WeightFormat[] = ['f32', 'int8'];

/**
 * Columns per int8 block (one float32 scale each, +12.5 % over the codes). 32 is the block of
 * the common Q8_0 format; smaller blocks follow the weights' local range more closely.
 */
export const UMT5_INT8_BLOCK_SIZE = 32;
