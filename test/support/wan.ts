/** Helpers shared by the Wan golden suites: loading a fixture's model and reshaping records. */
import { parseWanConfig, type WanConfig } from '../../src/model/wan/config.ts';
import { safetensorsWeights } from '../../src/model/weights/reader.ts';
import { SafetensorsFile } from '../../src/model/weights/safetensors.ts';
import { f32, type F32Tensor } from '../../src/model/tensor.ts';
import type { Fixture } from './fixtures.ts';

export function fixtureConfig(fx: Fixture): WanConfig {
  return parseWanConfig(fx.manifest.config);
}

export function fixtureWeights(fx: Fixture) {
  return safetensorsWeights(new SafetensorsFile(fx.weightsPath()));
}

/** [L, dim] → [1, dim, F, H, W] (a Conv3d output layout) for tokens in (f, h, w) raster order. */
export function tokensToConvLayout(t: F32Tensor, grid: { frames: number; height: number; width: number }): F32Tensor {
  const [L, dim] = t.shape as [number, number];
  const out = new Float32Array(L * dim);
  for (let l = 0; l < L; l++) for (let c = 0; c < dim; c++) out[c * L + l] = t.data[l * dim + c]!;
  return f32([1, dim, grid.frames, grid.height, grid.width], out);
}

export function withBatch(t: F32Tensor): F32Tensor {
  return f32([1, ...t.shape], t.data);
}

/** Integer timesteps stored as I64 or F32 in io.safetensors, as plain numbers. */
export function numbers(fx: Fixture, key: string): number[] {
  const t = fx.io.get(key);
  return t.dtype === 'int64' ? Array.from(t.data as BigInt64Array, Number) : Array.from(t.data as Float32Array);
}

/** A tiny Wan DiT + VACE config for unit tests (dim 96, 4 layers, VACE on 0 and 2; 64×64 output). */
export const TINY_WAN = {
  config: parseWanConfig({
    patch_size: [1, 2, 2], text_len: 16, in_dim: 16, dim: 96, ffn_dim: 192, freq_dim: 256, text_dim: 32, out_dim: 16,
    num_heads: 3, num_layers: 4, qk_norm: true, cross_attn_norm: true, eps: 1e-6, vace_layers: [0, 2], vace_in_dim: 96,
  }),
  latent: { frames: 3, height: 8, width: 8 },
};
