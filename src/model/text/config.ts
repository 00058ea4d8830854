/**
 * UMT5 encoder configuration, read from data (a fixture manifest's `config`, or the preset for
 * the real umt5-xxl that Wan2.1 ships). Nothing in the graph code assumes a particular size.
 */
import { z } from 'zod';

export const Umt5ConfigSchema = z.object({
  vocab_size: z.number().int().positive(),
  dim: z.number().int().positive(),
  dim_attn: z.number().int().positive(),
  dim_ffn: z.number().int().positive(),
  num_heads: z.number().int().positive(),
  /** Encoder blocks (the manifest calls it `encoder_layers`; `num_layers` is accepted too). */
  encoder_layers: z.number().int().positive(),
  num_buckets: z.number().int().positive(),
  max_dist: z.number().int().positive().default(128),
  /** Wan's umt5-xxl has one relative-position table per block (false); true = one table at the top. */
  shared_pos: z.boolean().default(false),
  text_len: z.number().int().positive().default(512),
  eps: z.number().positive().default(1e-6),
});

export type Umt5Config = z.infer<typeof Umt5ConfigSchema>;

/** Parses a config object; `what` names its origin in errors (e.g. the manifest path). */
export function parseUmt5Config(raw: unknown, what = 'UMT5 config'): Umt5Config {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${what}: expected an object, got ${JSON.stringify(raw)}`);
  const obj = { ...(raw as Record<string, unknown>) };
  if (obj.encoder_layers === undefined && obj.num_layers !== undefined) obj.encoder_layers = obj.num_layers;
  const r = Umt5ConfigSchema.safeParse(obj);
  if (!r.success) throw new Error(`${what}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const cfg = r.data;
  if (cfg.dim_attn % cfg.num_heads !== 0) throw new Error(`${what}: dim_attn ${cfg.dim_attn} is not divisible by num_heads ${cfg.num_heads}`);
  if (cfg.num_buckets % 2 !== 0) throw new Error(`${what}: num_buckets ${cfg.num_buckets} must be even (bidirectional buckets)`);
  if (cfg.shared_pos) throw new Error(`${what}: shared_pos=true (one top-level table) is not supported; Wan's umt5-xxl uses per-block tables`);
  return cfg;
}

/** google/umt5-xxl encoder as Wan2.1 builds it (wan/modules/t5.py umt5_xxl, encoder_only). */
export const UMT5_XXL: Umt5Config = parseUmt5Config(
  {
    vocab_size: 256384,
    dim: 4096,
    dim_attn: 4096,
    dim_ffn: 10240,
    num_heads: 64,
    encoder_layers: 24,
    num_buckets: 32,
    max_dist: 128,
    shared_pos: false,
    text_len: 512,
  },
  'UMT5_XXL preset',
);
