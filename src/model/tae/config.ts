/**
 * TAEHV (tiny temporal autoencoder for Wan2.1 latents) configuration, read from data: a
 * fixture manifest's `config` or the preset below. The module list of encoder and decoder is
 * derived from it (layout.ts); nothing in the graph code assumes a particular width.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

export const TaeConfigSchema = z.object({
  patch_size: positiveInt.default(1),
  image_channels: positiveInt.default(3),
  latent_channels: positiveInt,
  encoder_width: positiveInt,
  /** Decoder widths, one per stage plus the width after the last stage. */
  decoder_widths: z.array(positiveInt).min(2),
  /** TPool stride per encoder stage (each stage also halves space). */
  encoder_tpool_strides: z.array(positiveInt).min(1),
  /** TGrow stride per decoder stage. */
  decoder_tgrow_strides: z.array(positiveInt).min(1),
  /** ×2 nearest-neighbour upsample per decoder stage (false = scale 1). */
  decoder_space_upscale: z.array(z.boolean()).min(1),
  frames_to_trim: z.number().int().nonnegative(),
  spatial_downscale: positiveInt,
  temporal_downscale: positiveInt,
  /** State-dict indices of the MemBlocks; when given they must match the derived layout. */
  encoder_memblock_indices: z.array(z.number().int().nonnegative()).optional(),
  decoder_memblock_indices: z.array(z.number().int().nonnegative()).optional(),
});

export type TaeConfig = z.infer<typeof TaeConfigSchema>;

/** "tae" returns raw latents; "lighttae" normalises them to the Wan-VAE latent space. */
export type TaeVariant = 'tae' | 'lighttae';

/** MemBlocks per stage in TAEHV (three in a row after each TPool / before each TGrow). */
export const MEMBLOCKS_PER_STAGE = 3;

const product = (xs: readonly number[]) => xs.reduce((a, b) => a * b, 1);

/** Parses and cross-checks a config object (extra keys such as notes are ignored). */
export function parseTaeConfig(raw: unknown, where = 'TAE config'): TaeConfig {
  const r = TaeConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(`invalid ${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const cfg = r.data;
  const fail = (msg: string) => {
    throw new Error(`invalid ${where}: ${msg}`);
  };
  if (cfg.patch_size !== 1) fail(`patch_size ${cfg.patch_size} is not supported (Wan2.1's TAEHV uses 1; pixel (un)shuffle is not implemented)`);
  const stages = cfg.decoder_tgrow_strides.length;
  if (cfg.decoder_widths.length !== stages + 1) fail(`decoder_widths has ${cfg.decoder_widths.length} entries, ${stages} decoder stages need ${stages + 1}`);
  if (cfg.decoder_space_upscale.length !== stages) fail(`decoder_space_upscale has ${cfg.decoder_space_upscale.length} entries, decoder_tgrow_strides ${stages}`);
  if (product(cfg.encoder_tpool_strides) !== cfg.temporal_downscale) {
    fail(`temporal_downscale ${cfg.temporal_downscale} ≠ product of encoder_tpool_strides [${cfg.encoder_tpool_strides.join(', ')}]`);
  }
  if (product(cfg.decoder_tgrow_strides) !== cfg.temporal_downscale) {
    fail(`temporal_downscale ${cfg.temporal_downscale} ≠ product of decoder_tgrow_strides [${cfg.decoder_tgrow_strides.join(', ')}]`);
  }
  if (2 ** cfg.encoder_tpool_strides.length !== cfg.spatial_downscale) {
    fail(`spatial_downscale ${cfg.spatial_downscale} ≠ 2^${cfg.encoder_tpool_strides.length} (one stride-2 conv per encoder stage)`);
  }
  const upscale = 2 ** cfg.decoder_space_upscale.filter(Boolean).length;
  if (upscale !== cfg.spatial_downscale) fail(`decoder upsamples space by ${upscale}, the encoder downsamples by ${cfg.spatial_downscale}`);
  return cfg;
}

/**
 * Wan VAE latent statistics used by "lighttae" (scope `WAN_VAE_LATENT_MEAN/STD`, the
 * Wan2.1 VAE's per-channel constants): latent_lighttae = (latent − mean) / std.
 */
export const WAN_VAE_LATENT_MEAN: readonly number[] = [
  -0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508, 0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921,
];
export const WAN_VAE_LATENT_STD: readonly number[] = [
  2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.916,
];

/** taew2_1 / lighttaew2_1 (scope `_TAEModel` with Wan2.1 defaults). */
export const TAEW2_1: TaeConfig = parseTaeConfig({
  patch_size: 1,
  image_channels: 3,
  latent_channels: 16,
  encoder_width: 64,
  decoder_widths: [256, 128, 64, 64],
  encoder_tpool_strides: [2, 2, 1],
  decoder_tgrow_strides: [1, 2, 2],
  decoder_space_upscale: [true, true, true],
  frames_to_trim: 3,
  spatial_downscale: 8,
  temporal_downscale: 4,
});
