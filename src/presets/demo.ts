/**
 * The `demo` preset: every component of the real pipeline — causal Wan DiT with VACE blocks,
 * TAEHV encoder/decoder, UMT5 text encoder and tokenizer — at miniature sizes with
 * deterministic random weights, generated on first start and cached on disk. It streams on a
 * laptop CPU and exercises every code path, but its weights are random: the output is
 * abstract moving texture, not a picture of the prompt.
 *
 * Sizes (chosen for ≥ 15 FPS at 256×256 on a 2-core CPU; `npm run bench:demo` measures it):
 * DiT dim 64, 2 heads, 4 layers, VACE on layers 0 and 2, text_len 32; TAE widths 16/[32,16,16,16];
 * UMT5 dim 64, 2 layers; output 256×256, chunks of 12 frames.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTaeConfig } from '../model/tae/config.ts';
import { taeWeightShapes } from '../model/tae/layout.ts';
import { parseUmt5Config } from '../model/text/config.ts';
import { umt5Params } from '../model/text/param-spec.ts';
import { parseWanConfig } from '../model/wan/config.ts';
import { wanParams } from '../model/wan/param-spec.ts';
import { randomTensor } from '../model/weights/random.ts';
import { writeSafetensors } from '../model/weights/safetensors-writer.ts';
import type { PresetModelConfig } from './bundle.ts';
import { demoTokenizerJson, demoVocabSize } from './demo-tokenizer.ts';

/** Bump when sizes or generation change: cached files of another version are regenerated. */
export const DEMO_VERSION = '2';
export const DEMO_SEED = 20261201;

export type DemoConfig = PresetModelConfig;

export function demoConfig(): DemoConfig {
  const textLen = 32;
  const umt5 = parseUmt5Config({ vocab_size: demoVocabSize(), dim: 64, dim_attn: 64, dim_ffn: 128, num_heads: 2, encoder_layers: 2, num_buckets: 32, max_dist: 128, text_len: textLen }, 'demo UMT5');
  return {
    wan: parseWanConfig({
      patch_size: [1, 2, 2], text_len: textLen, in_dim: 16, dim: 64, ffn_dim: 128, freq_dim: 256, text_dim: umt5.dim, out_dim: 16,
      num_heads: 2, num_layers: 4, qk_norm: true, cross_attn_norm: true, eps: 1e-6, vace_layers: [0, 2], vace_in_dim: 96,
    }),
    tae: parseTaeConfig({
      patch_size: 1, image_channels: 3, latent_channels: 16, encoder_width: 8, decoder_widths: [16, 8, 8, 8],
      encoder_tpool_strides: [2, 2, 1], decoder_tgrow_strides: [1, 2, 2], decoder_space_upscale: [true, true, true],
      frames_to_trim: 3, spatial_downscale: 8, temporal_downscale: 4,
    }, 'demo TAE'),
    umt5,
    latent: { frames: 3, height: 32, width: 32 },
    sinkFrames: 3,
    windowFrames: 12,
  };
}

export interface DemoFiles {
  dir: string;
  dit: string;
  tae: string;
  umt5: string;
  tokenizer: string;
}

function writeRandom(path: string, spec: ReadonlyMap<string, readonly number[]>, seed: number): void {
  const tensors = [...spec].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: () => randomTensor(seed, name, shape).data }));
  const tmp = `${path}.tmp-${process.pid}`;
  writeSafetensors(tmp, tensors, { generator: 'vace-live demo preset', version: DEMO_VERSION, seed: String(seed) });
  renameSync(tmp, path); // atomic: a crash never leaves a half-written weight file
}

/** The demo weights under `modelsDir/demo`, generated there on first use (a second or two). */
export function ensureDemoFiles(modelsDir: string, log: (msg: string) => void = () => {}): DemoFiles {
  const dir = join(modelsDir, 'demo', `v${DEMO_VERSION}`);
  const files: DemoFiles = { dir, dit: join(dir, 'dit.safetensors'), tae: join(dir, 'tae.safetensors'), umt5: join(dir, 'umt5.safetensors'), tokenizer: join(dir, 'tokenizer.json') };
  const marker = join(dir, 'complete.json');
  if (existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).version === DEMO_VERSION) return files;
  log(`generating demo weights (deterministic random, seed ${DEMO_SEED}) in ${dir}`);
  mkdirSync(dir, { recursive: true });
  const cfg = demoConfig();
  writeRandom(files.dit, wanParams(cfg.wan), DEMO_SEED);
  writeRandom(files.tae, taeWeightShapes(cfg.tae), DEMO_SEED + 1);
  writeRandom(files.umt5, umt5Params(cfg.umt5), DEMO_SEED + 2);
  writeFileSync(files.tokenizer, JSON.stringify(demoTokenizerJson()));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>' }));
  writeFileSync(marker, JSON.stringify({ version: DEMO_VERSION, seed: DEMO_SEED, createdAt: new Date().toISOString() }));
  return files;
}
