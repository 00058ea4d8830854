/**
 * Configurations for the streaming benchmark: the causal_stream fixture (its manifest, its
 * weights), the shared bench configs (`tiny`, `small`, `medium` in /work/shared/bench, timed the
 * same way on the upstream implementation), or any JSON file in either format.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseWanConfig, type WanConfig } from '../src/model/wan/config.ts';
import { SafetensorsFile } from '../src/model/weights/safetensors.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');
export const FIXTURE_ROOT = resolve(process.env.VACE_FIXTURES ?? join(REPO_ROOT, '../shared/fixtures'));
export const BENCH_CONFIG_ROOT = resolve(process.env.VACE_BENCH_CONFIGS ?? join(REPO_ROOT, '../shared/bench'));

export interface StreamBenchConfig {
  name: string;
  /** Where the config came from (named in the report). */
  source: string;
  model: WanConfig;
  latentH: number;
  latentW: number;
  chunkFrames: number;
  steps: number[];
  sinkFrames: number;
  windowFrames: number;
  contextScale: number;
  /** A real weights file (the fixture's); absent = seeded random weights. */
  weightsPath?: string;
}

function readJson(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`stream bench: config file ${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`stream bench: ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function field<T>(obj: Record<string, unknown>, path: string, file: string, check: (v: unknown) => v is T, what: string): T {
  let v: unknown = obj;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  if (!check(v)) throw new Error(`stream bench: ${file}: field "${path}" must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

const isPosInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isNonNegInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isHw = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every(isPosInt);
const isSteps = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every(isNumber);

/** A /work/shared/bench config: `{name, model, vace_layers, vace_in_dim, latent_hw, stream: {…}}`. */
function fromBenchJson(raw: Record<string, unknown>, file: string): StreamBenchConfig {
  let model: WanConfig;
  try {
    model = parseWanConfig(raw.model, {
      vace_layers: raw.vace_layers as number[] | undefined,
      vace_in_dim: raw.vace_in_dim as number | undefined,
    });
  } catch (e) {
    throw new Error(`stream bench: ${file}: ${(e as Error).message}`);
  }
  const [latentH, latentW] = field(raw, 'latent_hw', file, isHw, 'two positive integers');
  return {
    name: typeof raw.name === 'string' ? raw.name : basename(file, '.json'),
    source: file,
    model,
    latentH,
    latentW,
    chunkFrames: field(raw, 'stream.num_frame_per_block', file, isPosInt, 'a positive integer'),
    steps: field(raw, 'stream.denoising_step_list', file, isSteps, 'a non-empty list of timesteps'),
    sinkFrames: field(raw, 'stream.sink_size', file, isNonNegInt, 'a non-negative integer'),
    windowFrames: field(raw, 'stream.local_attn_size', file, isPosInt, 'a positive integer'),
    contextScale: field(raw, 'stream.vace_context_scale', file, isNumber, 'a number'),
  };
}

/** A causal_stream fixture manifest: the model and geometry it records, and its weights file. */
function fromFixtureManifest(raw: Record<string, unknown>, file: string): StreamBenchConfig {
  let model: WanConfig;
  try {
    model = parseWanConfig(raw.config);
  } catch (e) {
    throw new Error(`stream bench: ${file}: ${(e as Error).message}`);
  }
  const dir = dirname(file);
  const [latentH, latentW] = field(raw, 'latent_hw', file, isHw, 'two positive integers');
  const weightsRel = field(raw, 'files.weights.path', file, (v): v is string => typeof v === 'string', 'a path');
  // The step list is recorded in io.safetensors; the manifest's per-chunk timesteps end with the clean pass's 0.
  let steps: number[];
  const io = join(dir, 'io.safetensors');
  if (existsSync(io)) {
    const f = new SafetensorsFile(io);
    try {
      const t = f.get('input.denoising_step_list');
      steps = Array.from(t.data as ArrayLike<number | bigint>, Number);
    } finally {
      f.close();
    }
  } else {
    const ts = field(raw, 'chunks', file, (v): v is { timesteps: number[] }[] => Array.isArray(v) && v.length > 0, 'a list of chunks')[0]!.timesteps;
    steps = ts.slice(0, -1);
  }
  return {
    name: typeof raw.name === 'string' ? `fixture:${raw.name}` : 'fixture',
    source: file,
    model,
    latentH,
    latentW,
    chunkFrames: field(raw, 'longlive_settings_used.num_frame_per_block', file, isPosInt, 'a positive integer'),
    steps,
    sinkFrames: field(raw, 'longlive_settings_used.sink_size_frames', file, isNonNegInt, 'a non-negative integer'),
    windowFrames: field(raw, 'longlive_settings_used.local_attn_size_frames', file, isPosInt, 'a positive integer'),
    contextScale: field(raw, 'vace_context_scale', file, isNumber, 'a number'),
    weightsPath: resolve(dir, weightsRel),
  };
}

/** `fixture`, a shared bench config name, or a path to a JSON file in either format. */
export function loadStreamBenchConfig(spec: string): StreamBenchConfig {
  let file: string;
  if (spec === 'fixture') file = join(FIXTURE_ROOT, 'causal_stream', 'manifest.json');
  else if (spec.endsWith('.json')) file = resolve(spec);
  else if (/^[A-Za-z0-9_-]+$/.test(spec)) file = join(BENCH_CONFIG_ROOT, `${spec}.json`);
  else throw new Error(`stream bench: --config must be fixture, a config name (tiny, small, medium) or a .json path, got "${spec}"`);
  if (!existsSync(file)) throw new Error(`stream bench: no config "${spec}" (${file} does not exist)`);
  const raw = readJson(file);
  return 'model' in raw ? fromBenchJson(raw, file) : 'config' in raw && 'longlive_settings_used' in raw ? fromFixtureManifest(raw, file) : failFormat(file);
}

function failFormat(file: string): never {
  throw new Error(`stream bench: ${file} is neither a bench config (with "model") nor a causal_stream manifest (with "config" and "longlive_settings_used")`);
}
