/**
 * One measured step of bench/memory.ts, in a process of its own so that its peak RSS is that
 * step's alone. Prints one line `MEMORY_RESULT {json}` with the peak (getrusage maxRSS, which
 * sees every allocation, synchronous or not) and, from /proc/self/status sampled every 50 ms
 * while the event loop is free, the anonymous and file-backed parts of the RSS at its sampled
 * peak (file-backed pages are mapped weight files the kernel can drop and re-read).
 *
 *   tsx bench/memory-child.ts umt5 <checkpoint> <cacheDir> <f32|int8> <layers>
 *   tsx bench/memory-child.ts dit-convert <generator.safetensors> <vace.safetensors> <cacheDir>
 *   tsx bench/memory-child.ts dit-load <dit.safetensors | generator.safetensors,vace.safetensors>
 */
import { readFileSync } from 'node:fs';
import { UMT5_XXL, parseUmt5Config } from '../src/model/text/config.ts';
import { Umt5Encoder } from '../src/model/text/encoder.ts';
import type { Umt5WeightFormat } from '../src/model/text/param-spec.ts';
import { i64 } from '../src/model/tensor.ts';
import { WanModel } from '../src/model/wan/model.ts';
import { safetensorsWeights, type WeightReader } from '../src/model/weights/reader.ts';
import { SafetensorsFile } from '../src/model/weights/safetensors.ts';
import { convertLongLiveDit, LONGLIVE_1_3B } from '../src/presets/longlive.ts';

interface Sample {
  rss: number;
  anon: number;
  file: number;
}

function status(): Sample | undefined {
  try {
    const text = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
  } catch {
    return undefined; // not Linux: only maxRSS is reported
  }
}

let peak: Sample | undefined;
const sample = () => {
  const s = status();
  if (s && (!peak || s.rss > peak.rss)) peak = s;
};
const timer = setInterval(sample, 50);

const phases: Record<string, number> = {};
async function phase<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    phases[name] = (performance.now() - t0) / 1000;
    sample();
  }
}

/** One UMT5 prompt of 20 real tokens in a text_len row, as the text-encoder worker sends it. */
async function umt5(checkpoint: string, cacheDir: string, weights: Umt5WeightFormat, layers: number): Promise<Record<string, unknown>> {
  const cfg = parseUmt5Config({ ...UMT5_XXL, encoder_layers: layers }, 'benchmark UMT5');
  const encoder = await phase('load', () => Umt5Encoder.open(checkpoint, cfg, { weights, cacheDir }));
  const L = cfg.text_len;
  const real = 20;
  const ids = i64([1, L], Array.from({ length: L }, (_, j) => (j < real - 1 ? 1000 + ((j * 7919) % 200000) : j === real - 1 ? 1 : 0)));
  const mask = i64([1, L], Array.from({ length: L }, (_, j) => (j < real ? 1 : 0)));
  const out = await phase('encode', () => encoder.encodePromptEmbeds(ids, mask));
  // A second prompt: the first run also pays for touching the mapped weights and ORT's first-run setup.
  await phase('encodeAgain', () => encoder.encodePromptEmbeds(ids, mask));
  let finite = true;
  for (let i = 0; i < real * cfg.dim; i++) if (!Number.isFinite(out.data[i]!)) finite = false;
  await encoder.release();
  return { finite, shape: out.shape };
}

/** Both bf16 source files under the model's key names (for loading them without conversion). */
function mergedReader(generator: SafetensorsFile, vace: SafetensorsFile): WeightReader {
  const g = safetensorsWeights(generator);
  const v = safetensorsWeights(vace);
  const pick = (k: string) => (vace.has(k) ? { r: v, k } : { r: g, k: `generator.model.${k}` });
  return {
    path: `${generator.path} + ${vace.path}`,
    has: (k) => vace.has(k) || generator.has(`generator.model.${k}`),
    shape: (k) => pick(k).r.shape(pick(k).k),
    getF32: (k) => pick(k).r.getF32(pick(k).k),
    f32Location: (k) => pick(k).r.f32Location!(pick(k).k),
  };
}

async function ditLoad(source: string): Promise<Record<string, unknown>> {
  const files = source.split(',').map((p) => new SafetensorsFile(p));
  const reader = files.length === 2 ? mergedReader(files[0]!, files[1]!) : safetensorsWeights(files[0]!);
  const cfg = LONGLIVE_1_3B;
  const shape = { latentFrames: cfg.latent.frames, latentH: cfg.latent.height, latentW: cfg.latent.width };
  try {
    // The options loadBundleFromFiles uses for a preset's DiT.
    const model = await phase('load', () => WanModel.load(cfg.wan, reader, shape, { cache: true, vace: true, vaceAttention: 'causal' }));
    await model.release();
    return { loaded: true };
  } catch (e) {
    return { loaded: false, error: (e as Error).message.split('\n')[0] };
  } finally {
    for (const f of files) f.close();
  }
}

async function main(): Promise<void> {
  const [mode, ...args] = process.argv.slice(2);
  let result: Record<string, unknown>;
  if (mode === 'umt5') result = await umt5(args[0]!, args[1]!, args[2] as Umt5WeightFormat, Number(args[3]));
  else if (mode === 'dit-convert') {
    const out = await phase('convert', () => convertLongLiveDit({ generator: args[0]!, vace: args[1]!, tae: '', textEncoder: '', tokenizer: '' }, LONGLIVE_1_3B, args[2]!));
    result = { converted: out };
  } else if (mode === 'dit-load') result = await ditLoad(args[0]!);
  else throw new Error(`memory-child: unknown mode ${mode}`);
  clearInterval(timer);
  sample();
  const maxRssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`MEMORY_RESULT ${JSON.stringify({ mode, ...result, phases, maxRssBytes, sampledPeak: peak })}\n`);
}

await main();
