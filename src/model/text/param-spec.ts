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
