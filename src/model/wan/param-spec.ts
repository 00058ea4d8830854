/**
 * Every parameter of a Wan2.1 DiT (+ VACE) checkpoint for a config: real key names and
 * shapes (spec §2). Used to validate checkpoints before building graphs and to generate
 * random weights of the right shapes (demo preset, benchmarks, graph dumps).
 */
import type { WanConfig } from './config.ts';

export type ParamSpec = Map<string, readonly number[]>;

function blockParams(spec: ParamSpec, prefix: string, cfg: WanConfig): void {
  const { dim, ffn_dim } = cfg;
  spec.set(`${prefix}.modulation`, [1, 6, dim]);
  for (const attn of ['self_attn', 'cross_attn']) {
    for (const p of ['q', 'k', 'v', 'o']) {
      spec.set(`${prefix}.${attn}.${p}.weight`, [dim, dim]);
      spec.set(`${prefix}.${attn}.${p}.bias`, [dim]);
    }
    if (cfg.qk_norm) {
      spec.set(`${prefix}.${attn}.norm_q.weight`, [dim]);
      spec.set(`${prefix}.${attn}.norm_k.weight`, [dim]);
    }
  }
  if (cfg.cross_attn_norm) {
    spec.set(`${prefix}.norm3.weight`, [dim]);
    spec.set(`${prefix}.norm3.bias`, [dim]);
  }
  spec.set(`${prefix}.ffn.0.weight`, [ffn_dim, dim]);
  spec.set(`${prefix}.ffn.0.bias`, [ffn_dim]);
  spec.set(`${prefix}.ffn.2.weight`, [dim, ffn_dim]);
  spec.set(`${prefix}.ffn.2.bias`, [dim]);
}

/** Base (non-VACE) parameters. */
export function wanBaseParams(cfg: WanConfig): ParamSpec {
  const { dim, in_dim, out_dim, text_dim, freq_dim, patch_size } = cfg;
  const [pt, ph, pw] = patch_size;
  const spec: ParamSpec = new Map();
  spec.set('patch_embedding.weight', [dim, in_dim, pt, ph, pw]);
  spec.set('patch_embedding.bias', [dim]);
  spec.set('text_embedding.0.weight', [dim, text_dim]);
  spec.set('text_embedding.0.bias', [dim]);
  spec.set('text_embedding.2.weight', [dim, dim]);
  spec.set('text_embedding.2.bias', [dim]);
  spec.set('time_embedding.0.weight', [dim, freq_dim]);
  spec.set('time_embedding.0.bias', [dim]);
  spec.set('time_embedding.2.weight', [dim, dim]);
  spec.set('time_embedding.2.bias', [dim]);
  spec.set('time_projection.1.weight', [6 * dim, dim]);
  spec.set('time_projection.1.bias', [6 * dim]);
  for (let i = 0; i < cfg.num_layers; i++) blockParams(spec, `blocks.${i}`, cfg);
  spec.set('head.modulation', [1, 2, dim]);
  spec.set('head.head.weight', [pt * ph * pw * out_dim, dim]);
  spec.set('head.head.bias', [pt * ph * pw * out_dim]);
  return spec;
}

/** VACE module parameters (vace_patch_embedding, vace_blocks.* with before_proj on block 0). */
export function wanVaceParams(cfg: WanConfig): ParamSpec {
  const spec: ParamSpec = new Map();
  const layers = cfg.vace_layers ?? [];
  if (layers.length === 0) return spec;
  const { dim, patch_size } = cfg;
  const vaceIn = cfg.vace_in_dim ?? 96;
  spec.set('vace_patch_embedding.weight', [dim, vaceIn, ...patch_size]);
  spec.set('vace_patch_embedding.bias', [dim]);
  layers.forEach((_, j) => {
    blockParams(spec, `vace_blocks.${j}`, cfg);
    if (j === 0) {
      spec.set('vace_blocks.0.before_proj.weight', [dim, dim]);
      spec.set('vace_blocks.0.before_proj.bias', [dim]);
    }
    spec.set(`vace_blocks.${j}.after_proj.weight`, [dim, dim]);
    spec.set(`vace_blocks.${j}.after_proj.bias`, [dim]);
  });
  return spec;
}

export function wanParams(cfg: WanConfig, opts: { vace?: boolean } = {}): ParamSpec {
  const spec = wanBaseParams(cfg);
  if (opts.vace ?? !!cfg.vace_layers?.length) for (const [k, v] of wanVaceParams(cfg)) spec.set(k, v);
  return spec;
}
