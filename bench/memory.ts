/**
 * Peak RSS at real size, on checkpoints of seeded random weights in the real layouts, generated
 * on demand into a scratch folder and deleted afterwards (unless --keep):
 *
 *  umt5: a UMT5-XXL-shaped encoder checkpoint in bf16 (the dtype and key names of
 *        umt5-xxl-enc-bf16.safetensors, 11.4 GB), loaded and used to encode one prompt with
 *        int8 weights (and float32 with --f32: ~23 GB of RAM), each twice: a first start
 *        (converting into the cache, then loading) and a start from the cache.
 *  dit:  a Wan2.1-1.3B generator (LongLive's key names) and VACE 1.3B module in bf16, converted
 *        to float32 as the longlive preset does, then the DiT sessions loaded as the preset does.
 *        Also tries loading straight from the bf16 files (weights widened inline, params.ts).
 *
 * Every step runs in a child process (bench/memory-child.ts) and reports that process's peak
 * RSS. `--layers N` builds the encoder with N of its 24 blocks (a scaled model: say so when
 * quoting it); the disk space needed is checked before anything is written.
 *
 *   npm run bench:memory -- [--model umt5|dit|all] [--f32] [--layers N] [--dir DIR] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statfsSync, statSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UMT5_XXL, parseUmt5Config, type Umt5Config } from '../src/model/text/config.ts';
import { UMT5_INT8_BLOCK_SIZE, umt5Int8Params, umt5Params, type Umt5WeightFormat } from '../src/model/text/param-spec.ts';
import { WAN_1_3B } from '../src/model/wan/config.ts';
import { wanBaseParams, wanVaceParams } from '../src/model/wan/param-spec.ts';
import { writeRandomSafetensors, type ParamShapes } from '../src/model/weights/random.ts';
import { SafetensorsFile } from '../src/model/weights/safetensors.ts';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'umt5' },
    f32: { type: 'boolean', default: false },
    layers: { type: 'string' },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
if (!['umt5', 'dit', 'all'].includes(values.model!)) throw new Error(`--model must be umt5, dit or all, got "${values.model}"`);
const layers = values.layers === undefined ? UMT5_XXL.encoder_layers : Number(values.layers);
if (!Number.isInteger(layers) || layers < 1 || layers > UMT5_XXL.encoder_layers) throw new Error(`--layers must be an integer in [1, ${UMT5_XXL.encoder_layers}]`);
const dir = values.dir ?? join(tmpdir(), 'vace-memory-bench');
const SEED = 1;
/** Bump when the generated files change, so --keep'd files from older versions are regenerated. */
const GENERATOR = 'vace-live bench/memory v1';

/** What this run wrote (removed at the end unless --keep); never anything else in --dir. */
const written: string[] = [];
const dirExisted = existsSync(dir);

const GB = 1e9;
const gb = (n: number) => `${(n / GB).toFixed(2)} GB`;
const numelOf = (spec: ParamShapes) => [...spec.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

interface ChildResult {
  mode: string;
  phases: Record<string, number>;
  maxRssBytes: number;
  sampledPeak?: { rss: number; anon: number; file: number };
  [key: string]: unknown;
}

function runChild(args: string[]): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'memory-child.ts'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('MEMORY_RESULT '));
  if (!line) throw new Error(`memory-child ${args[0]} failed (exit ${r.status}, signal ${r.signal}):\n${r.stderr.slice(-4000)}`);
  return JSON.parse(line.slice('MEMORY_RESULT '.length)) as ChildResult;
}

function needDisk(bytes: number, what: string): void {
  mkdirSync(dir, { recursive: true });
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < bytes * 1.05) throw new Error(`${what} needs ${gb(bytes)} of disk in ${dir}, only ${gb(free)} free (use --dir, or --layers N for a scaled encoder)`);
}

/** Writes `spec` as bf16 random weights under `path` unless a file from this generator is there. */
function ensureCheckpoint(path: string, spec: ParamShapes, seed: number, keyPrefix = ''): { path: string; seconds: number; reused: boolean } {
  const metadata = { generator: GENERATOR, seed: String(seed), params: String(spec.size), numel: String(numelOf(spec)) };
  written.push(path);
  if (existsSync(path)) {
    const f = new SafetensorsFile(path);
    const same = Object.entries(metadata).every(([k, v]) => f.metadata[k] === v);
    f.close();
    if (same) return { path, seconds: 0, reused: true };
  }
  const t0 = performance.now();
  const named = new Map([...spec].map(([k, s]) => [keyPrefix + k, s]));
  // Values from (seed, model key), whatever prefix the file stores them under.
  writeRandomSafetensors(path, named, seed, { dtype: 'BF16', metadata });
  return { path, seconds: (performance.now() - t0) / 1000, reused: false };
}

function describeRss(r: ChildResult): string {
  const s = r.sampledPeak;
  const parts = s ? ` (sampled peak ${gb(s.rss)}: anonymous ${gb(s.anon)}, file-backed ${gb(s.file)})` : '';
  return `${gb(r.maxRssBytes)}${parts}`;
}

function folderBytes(path: string): number {
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0] ?? NaN);
}

const report: Record<string, unknown> = {
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, totalMemBytes: totalmem(), freeMemBytesAtStart: freemem(), node: process.version },
};

function benchUmt5(): void {
  const cfg: Umt5Config = parseUmt5Config({ ...UMT5_XXL, encoder_layers: layers }, 'benchmark UMT5');
  const spec = umt5Params(cfg);
  const numel = numelOf(spec);
  const scaled = layers !== UMT5_XXL.encoder_layers;
  const int8 = umt5Int8Params(cfg);
  const int8Bytes = [...spec].reduce((n, [k, s]) => n + (int8.has(k) ? s[0]! * Math.ceil(s[1]! / UMT5_INT8_BLOCK_SIZE) * (UMT5_INT8_BLOCK_SIZE + 4) : s.reduce((a, b) => a * b, 1) * 4), 0);
  console.log(`UMT5 ${scaled ? `SCALED (${layers} of 24 blocks)` : 'XXL, full size'}: ${(numel / 1e9).toFixed(2)} B parameters; bf16 ${gb(numel * 2)}, float32 ${gb(numel * 4)}, int8 ${gb(int8Bytes)}`);
  needDisk(numel * 2 + int8Bytes + (values.f32 ? numel * 4 : 0), 'the UMT5 benchmark');
  const ckpt = ensureCheckpoint(join(dir, `umt5-${layers}-blocks-bf16.safetensors`), spec, SEED);
  console.log(`  checkpoint ${ckpt.path}: ${ckpt.reused ? 'reused' : `generated in ${ckpt.seconds.toFixed(0)} s`}`);
  const formats: Umt5WeightFormat[] = values.f32 ? ['int8', 'f32'] : ['int8'];
  const results: Record<string, unknown> = { scaled, layers, parameters: numel, bf16Bytes: numel * 2, f32Bytes: numel * 4, int8Bytes };
  for (const format of formats) {
    const cacheDir = join(dir, `umt5-cache-${format}`);
    rmSync(cacheDir, { recursive: true, force: true });
    written.push(cacheDir);
    const first = runChild(['umt5', ckpt.path, cacheDir, format, String(layers)]);
    const cached = runChild(['umt5', ckpt.path, cacheDir, format, String(layers)]);
    const cacheBytes = folderBytes(cacheDir);
    for (const [label, r] of [['first start (convert + load + encode)', first], ['cached start (load + encode)', cached]] as const) {
      console.log(`  ${format} ${label}: peak RSS ${describeRss(r)}; load ${r.phases.load?.toFixed(1)} s, encode ${r.phases.encode?.toFixed(1)} s (again ${r.phases.encodeAgain?.toFixed(1)} s)${r.finite === false ? ' — NON-FINITE OUTPUT' : ''}`);
    }
    console.log(`  ${format} converted cache: ${gb(cacheBytes)}`);
    results[format] = { first, cached, cacheBytes };
  }
  if (!values.f32) console.log('  f32 skipped (needs ~23 GB of RAM; pass --f32 to measure it)');
  report.umt5 = results;
}

function benchDit(): void {
  const cfg = WAN_1_3B;
  const base = wanBaseParams(cfg);
  const vace = wanVaceParams(cfg);
  const numel = numelOf(base) + numelOf(vace);
  console.log(`Wan2.1-1.3B DiT + VACE 1.3B, full size: ${(numel / 1e9).toFixed(2)} B parameters; bf16 ${gb(numel * 2)}, float32 ${gb(numel * 4)}`);
  needDisk(numel * 2 + numel * 4, 'the DiT benchmark');
  // LongLive's generator stores the base weights as generator.model.<key>; the VACE module plain.
  const gen = ensureCheckpoint(join(dir, 'dit-generator-bf16.safetensors'), base, SEED + 1, 'generator.model.');
  const vac = ensureCheckpoint(join(dir, 'dit-vace-bf16.safetensors'), vace, SEED + 1);
  console.log(`  checkpoints: ${gen.reused && vac.reused ? 'reused' : `generated in ${(gen.seconds + vac.seconds).toFixed(0)} s`}`);
  const cacheDir = join(dir, 'dit-cache');
  rmSync(cacheDir, { recursive: true, force: true });
  written.push(cacheDir);
  const convert = runChild(['dit-convert', gen.path, vac.path, cacheDir]);
  const f32Path = String(convert.converted);
  const f32Bytes = statSync(f32Path).size;
  const load = runChild(['dit-load', f32Path]);
  const inline = runChild(['dit-load', `${gen.path},${vac.path}`]);
  const ratio = (r: ChildResult) => `${(r.maxRssBytes / f32Bytes).toFixed(2)}× the float32 weights`;
  console.log(`  convert bf16 → float32 (the longlive preset's conversion, no LoRA): peak RSS ${describeRss(convert)} in ${convert.phases.convert?.toFixed(0)} s`);
  console.log(`  load the DiT sessions from the float32 file (text, main with KV cache, VACE hints): peak RSS ${describeRss(load)} = ${ratio(load)} (${gb(f32Bytes)}); ${load.loaded ? `${load.phases.load?.toFixed(0)} s` : `FAILED: ${load.error}`}`);
  console.log(`  load straight from the bf16 files (inline widening): peak RSS ${describeRss(inline)}; ${inline.loaded ? `${inline.phases.load?.toFixed(0)} s` : `FAILED: ${inline.error}`}`);
  report.dit = { parameters: numel, bf16Bytes: numel * 2, f32Bytes, convert, load, inline };
}

try {
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${gb(totalmem())} RAM (${gb(freemem())} free), node ${process.version}; scratch ${dir}`);
  if (values.model !== 'dit') benchUmt5();
  if (values.model !== 'umt5') benchDit();
  console.log(JSON.stringify(report));
} finally {
  if (!values.keep) {
    for (const p of written) rmSync(p, { recursive: true, force: true });
    if (!dirExisted && readdirSync(dir).length === 0) rmdirSync(dir);
  }
}
