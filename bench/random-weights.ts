/**
 * Deterministic random float32 weights for a Wan2.1 DiT (+ VACE) config, under the upstream
 * checkpoint key names (spec §2, `wanParams`), written once as a safetensors file and reused.
 * Benchmarks and the demo preset need a model of the real shape without a real checkpoint.
 *
 * Values come from `randomTensor` (src/model/weights/random.ts, shared with the demo preset):
 * each tensor from (seed, tensor name) alone, initialiser-like scales. The file records what it
 * was generated for, so a stale cache (other config, seed or generator) is regenerated.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WanConfig } from '../src/model/wan/config.ts';
import { wanParams } from '../src/model/wan/param-spec.ts';
import { randomTensor } from '../src/model/weights/random.ts';
import { SafetensorsFile } from '../src/model/weights/safetensors.ts';
import { writeSafetensors, type TensorToWrite } from '../src/model/weights/safetensors-writer.ts';

/** Bump when the generated values change, so cached files from older versions are rebuilt. */
const GENERATOR_VERSION = '2';

export interface RandomWeightsOptions {
  seed?: number;
  /** Include the VACE module (default: when the config has vace_layers). */
  vace?: boolean;
}

/** Every parameter of the config as a lazily generated tensor, in checkpoint order. */
export function randomWanTensors(cfg: WanConfig, opts: RandomWeightsOptions = {}): TensorToWrite[] {
  const seed = opts.seed ?? 0;
  return [...wanParams(cfg, { vace: opts.vace }).entries()].map(([name, shape]) => ({
    name,
    dtype: 'F32' as const,
    shape,
    data: () => randomTensor(seed, name, shape).data,
  }));
}

/** What a cached file must record to be reused: generator version, seed, VACE and the config. */
function fingerprint(cfg: WanConfig, opts: RandomWeightsOptions): Record<string, string> {
  return {
    format: 'pt',
    generator: `vace-live random-weights v${GENERATOR_VERSION}`,
    seed: String(opts.seed ?? 0),
    vace: String(opts.vace ?? !!cfg.vace_layers?.length),
    config: JSON.stringify(cfg),
  };
}

/** Whether `path` is a complete file generated for exactly this config and options. */
export function isCurrentRandomWeights(path: string, cfg: WanConfig, opts: RandomWeightsOptions = {}): boolean {
  if (!existsSync(path)) return false;
  let file: SafetensorsFile;
  try {
    file = new SafetensorsFile(path);
  } catch {
    return false;
  }
  try {
    const want = fingerprint(cfg, opts);
    if (Object.entries(want).some(([k, v]) => file.metadata[k] !== v)) return false;
    const spec = wanParams(cfg, { vace: opts.vace });
    if (file.keys().length !== spec.size) return false;
    for (const [name, shape] of spec) {
      if (!file.has(name)) return false;
      const e = file.entry(name);
      if (e.dtype !== 'F32' || e.shape.join() !== shape.join()) return false;
    }
    return true;
  } finally {
    file.close();
  }
}

export interface EnsuredWeights {
  path: string;
  /** True when the file was generated now, false when an existing one was reused. */
  created: boolean;
  bytes: number;
}

/**
 * The random-weights file at `path`, generated if it is missing or was made for another
 * config, seed or generator version.
 */
export function ensureRandomWeights(path: string, cfg: WanConfig, opts: RandomWeightsOptions = {}): EnsuredWeights {
  const spec = wanParams(cfg, { vace: opts.vace });
  const bytes = [...spec.values()].reduce((n, s) => n + 4 * s.reduce((a, b) => a * b, 1), 0);
  if (isCurrentRandomWeights(path, cfg, opts)) return { path, created: false, bytes };
  writeSafetensors(path, randomWanTensors(cfg, opts), fingerprint(cfg, opts));
  return { path, created: true, bytes };
}

/** Default cache location: `<cacheDir>/<name>.safetensors` (`.cache/bench` under the working directory). */
export function randomWeightsPath(name: string, cacheDir = join(process.cwd(), '.cache', 'bench')): string {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`random weights: "${name}" is not a usable file name`);
  return join(cacheDir, `${name}.safetensors`);
}
