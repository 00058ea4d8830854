/**
 * The `longlive-1.3b` preset from its real checkpoint files: the LongLive generator (a nested
 * `{generator: {model.<key>: bf16}}` .pt) with its PEFT LoRA merged at load (alpha = rank → scale
 * 1), the Wan2.1 VACE 1.3B module (bf16 safetensors), TAEHV taew2_1.pth, the UMT5-XXL encoder
 * and its tokenizer. The merged DiT is converted once to float32 safetensors and cached on disk,
 * keyed by the sources' fingerprints, so later starts map it straight into the graphs.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TAEW2_1 } from '../model/tae/config.ts';
import { UMT5_XXL } from '../model/text/config.ts';
import { WAN_1_3B } from '../model/wan/config.ts';
import { wanBaseParams, wanVaceParams } from '../model/wan/param-spec.ts';
import { openCheckpoint, type Checkpoint } from '../model/weights/checkpoint.ts';
import { autoKeyRules, mapCheckpoint, validateCheckpoint } from '../model/weights/keymap.ts';
import { LoraMerger, loraPairs } from '../model/lora/merge.ts';
import { writeSafetensors } from '../model/weights/safetensors-writer.ts';
import { loadBundleFromFiles, type LoadOptions, type ModelBundle, type PresetModelConfig } from './bundle.ts';

export interface LongLiveFiles {
  generator: string;
  lora?: string;
  vace: string;
  tae: string;
  textEncoder: string;
  /** Folder with tokenizer.json (and tokenizer_config.json). */
  tokenizer: string;
}

export interface LongLiveConfig extends PresetModelConfig {
  /** LoRA scale alpha / rank (LongLive: 256 / 256). */
  loraScale: number;
}

/**
 * scope's LongLive defaults (longlive/model.yaml): 320×576, sink 3, window 12, LoRA rank = alpha =
 * 256. The UMT5-XXL encoder runs with int8 weights (~6.4 GB) because float32 needs 22.7 GB.
 */
export const LONGLIVE_1_3B: LongLiveConfig = {
  wan: WAN_1_3B,
  tae: TAEW2_1,
  umt5: UMT5_XXL,
  textWeights: 'int8',
  latent: { frames: 3, height: 40, width: 72 },
  sinkFrames: 3,
  windowFrames: 12,
  loraScale: 1,
};

/** Bump when the conversion changes, so cached conversions are rebuilt. */
const CONVERSION_VERSION = '1';

function fingerprint(paths: readonly (string | undefined)[], extra: string): string {
  const h = createHash('sha256').update(`v${CONVERSION_VERSION}|${extra}`);
  for (const p of paths) {
    if (!p) continue;
    const st = statSync(p);
    h.update(`|${basename(p)}:${st.size}:${Math.floor(st.mtimeMs)}`);
  }
  return h.digest('hex').slice(0, 16);
}

function requireFile(path: string, what: string): void {
  if (!existsSync(path)) throw new Error(`${what} not found: ${path} — download the preset with \`vace-live models download longlive-1.3b\``);
}

/**
 * The DiT's float32 weights (base with the LoRA merged, plus the VACE module) as one
 * safetensors file under `cacheDir`, converted on first use.
 */
export async function convertLongLiveDit(files: LongLiveFiles, cfg: LongLiveConfig, cacheDir: string, log: (m: string) => void = () => {}): Promise<string> {
  requireFile(files.generator, 'LongLive generator checkpoint');
  requireFile(files.vace, 'VACE module');
  if (files.lora) requireFile(files.lora, 'LongLive LoRA');
  const out = join(cacheDir, `longlive-dit-${fingerprint([files.generator, files.lora, files.vace], JSON.stringify(cfg.wan) + cfg.loraScale)}.safetensors`);
  if (existsSync(out)) return out;
  log(`converting LongLive weights (bf16 → f32${files.lora ? ', LoRA merged' : ''}) into ${out}`);
  // LongLive nests the weights as {generator: {model.<key>: …}}; the key rules are detected.
  const base = openCheckpoint(files.generator);
  const gen = mapCheckpoint(base, autoKeyRules(base.keys()));
  const vace = openCheckpoint(files.vace);
  const baseSpec = wanBaseParams(cfg.wan);
  const vaceSpec = wanVaceParams(cfg.wan);
  validateCheckpoint(gen, baseSpec);
  validateCheckpoint(vace, vaceSpec);
  let lora: Checkpoint | undefined;
  const adapters = new Map<string, { a: string; b: string }>();
  if (files.lora) {
    lora = openCheckpoint(files.lora);
    for (const p of loraPairs(lora)) {
      if (!baseSpec.has(p.target)) throw new Error(`${files.lora}: LoRA adapts "${p.target}", which is not a weight of the generator`);
      adapters.set(p.target, p);
    }
  }
  const merger = adapters.size ? await LoraMerger.create() : undefined;
  try {
    // Merge first (async, ORT), then write: the writer pulls each tensor's bytes lazily.
    const merged = new Map<string, Float32Array>();
    for (const [target, p] of adapters) {
      merged.set(target, (await merger!.merge(gen.getF32(target), lora!.getF32(p.a), lora!.getF32(p.b), cfg.loraScale, target)).data);
    }
    const tensors = [
      ...[...baseSpec].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: () => merged.get(name) ?? gen.getF32(name).data })),
      ...[...vaceSpec].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: () => vace.getF32(name).data })),
    ];
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    writeSafetensors(tmp, tensors, { source: 'vace-live longlive conversion', lora: files.lora ? basename(files.lora) : 'none' });
    renameSync(tmp, out);
    log(`merged ${adapters.size} LoRA adapters`);
    return out;
  } finally {
    await merger?.release();
    base.close();
    vace.close();
    lora?.close();
  }
}

export async function loadLongLiveBundle(files: LongLiveFiles, opts: LoadOptions & { config?: LongLiveConfig; cacheDir?: string }): Promise<ModelBundle> {
  const cfg = opts.config ?? LONGLIVE_1_3B;
  const log = opts.log ?? (() => {});
  requireFile(files.tae, 'TAEHV checkpoint');
  requireFile(files.textEncoder, 'UMT5 encoder');
  requireFile(join(files.tokenizer, 'tokenizer.json'), 'UMT5 tokenizer');
  const cacheDir = opts.cacheDir ?? join(opts.modelsDir, 'converted');
  const ditPath = await convertLongLiveDit(files, cfg, cacheDir, log);
  return loadBundleFromFiles(
    {
      preset: 'longlive-1.3b',
      description: 'LongLive Wan2.1-1.3B + VACE 1.3B, TAEHV, UMT5-XXL',
      randomWeights: false,
      config: cfg,
      files: { dit: ditPath, tae: files.tae, textEncoder: files.textEncoder, tokenizer: files.tokenizer },
    },
    { ...opts, cacheDir },
  );
}
