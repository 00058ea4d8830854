/**
 * Streaming benchmark: milliseconds per chunk of the causal generator (4 denoising steps + the
 * clean pass), per step (main pass), per clean pass and per VACE hint computation, with and
 * without VACE, on this machine. Figures are medians over steady-state chunks — chunks that
 * start after the KV window has filled, so every call attends to a full window and rolls it.
 *
 *   npx tsx bench/stream.ts [--config tiny|small|medium|fixture|path.json] [--chunks N]
 *                           [--vace on|off|both] [--device D] [--dtype T] [--threads N]
 *                           [--kernels auto|fused|plain] [--warmup fast|full] [--seed N] [--json]
 *
 * Weights: the fixture's own for `fixture`, otherwise seeded random F32 weights under the
 * upstream key names, generated once into .cache/bench/<config>.safetensors.
 * Output: a table on stdout; with --json the JSON goes to stdout and the table to stderr.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDevice, parseDtype } from '../src/cli/device.ts';
import { resolveDevice, resolveDtype, type DeviceChoice, type DtypeChoice } from '../src/model/runtime/device.ts';
import type { Device, ModelDtype } from '../src/model/runtime/session.ts';
import { parseKernelChoice, type KernelChoice } from '../src/model/onnx/kernels.ts';
import { safetensorsWeights } from '../src/model/weights/reader.ts';
import { f32, type F32Tensor } from '../src/model/tensor.ts';
import { tokenGrid } from '../src/model/wan/config.ts';
import { WanModel } from '../src/model/wan/model.ts';
import { SafetensorsFile } from '../src/model/weights/safetensors.ts';
import { CausalStream, type ChunkTimings } from '../src/pipeline/causal-stream.ts';
import { SeededNoise } from '../src/pipeline/noise.ts';
import { Xoshiro128 } from '../src/model/prng.ts';
import { ensureRandomWeights, randomWeightsPath } from './random-weights.ts';
import { loadStreamBenchConfig, type StreamBenchConfig } from './stream-config.ts';
import { chunkFlops, type ChunkGeometry } from './stream-flops.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..');

const USAGE = `usage: npx tsx bench/stream.ts [options]
  --config tiny|small|medium|fixture|path.json   model + stream config (default tiny)
  --chunks N          chunks per variant (default: until the window is full, then 12 / 3 / 1 steady chunks
                      for configs under 5 GFLOP / under 1 TFLOP / above per chunk)
  --vace on|off|both  with VACE hints, without (plain model), or both (default) and the overhead
  --device D          cpu | webgpu | cuda | auto (default cpu)
  --dtype T           fp32 | fp16 | auto (default auto: fp16 on webgpu/cuda, fp32 on cpu)
  --threads N         ORT intra-op threads (default: ORT's choice)
  --kernels auto|fused|plain  fused ORT kernels (src/model/onnx/kernels.ts): the CPU set (auto, default),
                      all fused, or none — to measure the choice
  --warmup fast|full  warm-up chunks run only the clean pass that fills the window (fast, default;
                      chunk 0 also one step) or every step (full)
  --seed N            seed of the random weights, noise, text and VACE context (default 1)
  --json              JSON on stdout, the table on stderr
`;

interface Options {
  config: string;
  chunks?: number;
  vace: 'on' | 'off' | 'both';
  device: DeviceChoice;
  dtype: DtypeChoice;
  threads?: number;
  kernels: KernelChoice;
  warmup: 'fast' | 'full';
  seed: number;
  json: boolean;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', default: 'tiny' },
      chunks: { type: 'string' },
      vace: { type: 'string', default: 'both' },
      device: { type: 'string', default: 'cpu' },
      dtype: { type: 'string', default: 'auto' },
      threads: { type: 'string' },
      kernels: { type: 'string', default: 'auto' },
      warmup: { type: 'string', default: 'fast' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const posInt = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} needs a positive integer, got "${v}"`);
    return n;
  };
  const vace = values.vace as string;
  if (vace !== 'on' && vace !== 'off' && vace !== 'both') throw new Error(`--vace must be on, off or both, got "${vace}"`);
  const warmup = values.warmup as string;
  if (warmup !== 'fast' && warmup !== 'full') throw new Error(`--warmup must be fast or full, got "${warmup}"`);
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed needs an integer, got "${values.seed}"`);
  return {
    config: values.config as string,
    chunks: posInt('chunks', values.chunks),
    vace,
    device: parseDevice(values.device),
    dtype: parseDtype(values.dtype),
    threads: posInt('threads', values.threads),
    kernels: parseKernelChoice(values.kernels as string),
    warmup,
    seed,
    json: values.json as boolean,
  };
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Standard normal values from (seed, stream): synthetic text embeddings and VACE context. */
function normalTensor(shape: number[], seed: number, stream: number): F32Tensor {
  const t = f32(shape);
  new Xoshiro128(seed, stream).fillNormal(t.data);
  return t;
}

interface ChunkRecord {
  chunk: number;
  timed: boolean;
  totalMs: number;
  timings: ChunkTimings;
}

interface VariantResult {
  vace: boolean;
  loadMs: number;
  chunks: ChunkRecord[];
  median: { chunkMs: number; stepMs: number; cleanMs: number; hintMs: number | null; hostMs: number };
  /** Fastest timed chunk: on a busy machine closer to what the code can do than the median. */
  bestChunkMs: number;
  /** Share of the timed chunks' time spent computing VACE hints. */
  hintShare: number | null;
  gflopPerChunk: number;
  gflops: number;
}

/** One variant's model and stream, loaded and ready for chunk 0. */
interface Variant {
  vace: boolean;
  model: WanModel;
  stream: CausalStream;
  contextEmb: F32Tensor;
  vaceContext: F32Tensor | undefined;
  noise: SeededNoise;
  loadMs: number;
  chunks: ChunkRecord[];
}

/** The provider and precision the run uses, resolved once (the device probed before any model loads). */
interface Target {
  device: Device;
  dtype: ModelDtype;
}

async function loadVariant(bc: StreamBenchConfig, weightsPath: string, vace: boolean, opts: Options, target: Target): Promise<Variant> {
  const { model: cfg, chunkFrames, latentH, latentW } = bc;
  const t0 = performance.now();
  const weights = safetensorsWeights(new SafetensorsFile(weightsPath));
  const model = await WanModel.load(cfg, weights, { latentFrames: chunkFrames, latentH, latentW }, {
    cache: true,
    vace,
    device: target.device,
    dtype: target.dtype,
    kernels: opts.kernels,
    onFallback: (d, e) => {
      throw new Error(`stream bench: ${d} failed for a model (${e.message.split('\n')[0]}); the figures would be CPU ones`);
    },
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
  const loadMs = performance.now() - t0;
  const stream = new CausalStream(model, { sinkFrames: bc.sinkFrames, windowFrames: bc.windowFrames, steps: bc.steps });
  const contextEmb = await model.embedText(normalTensor([cfg.text_len, cfg.text_dim], opts.seed, 1));
  const vaceContext = vace ? normalTensor([cfg.vace_in_dim ?? 96, chunkFrames, latentH, latentW], opts.seed, 2) : undefined;
  return { vace, model, stream, contextEmb, vaceContext, noise: new SeededNoise(opts.seed), loadMs, chunks: [] };
}

async function runChunk(v: Variant, bc: StreamBenchConfig, c: number, timed: boolean, opts: Options): Promise<ChunkRecord> {
  // Fast warm-up: the window only has to fill, and the clean pass alone writes it. Chunk 0 also
  // runs one step (with its VACE hints) so every session has run once before the timed chunks.
  const steps = timed || opts.warmup === 'full' ? undefined : c === 0 ? [bc.steps[0]!] : [];
  const s0 = performance.now();
  const r = await v.stream.generateChunk({ contextEmb: v.contextEmb, noise: v.noise.forChunk(v.stream.startFrame), vaceContext: v.vaceContext, contextScale: bc.contextScale, ...(steps ? { steps } : {}) });
  const record = { chunk: c, timed, totalMs: performance.now() - s0, timings: r.timings };
  v.chunks.push(record);
  return record;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

function summarize(v: Variant, bc: StreamBenchConfig): VariantResult {
  const timedChunks = v.chunks.filter((c) => c.timed);
  const chunkMs = median(timedChunks.map((c) => c.totalMs));
  const hintShare = v.vace ? sum(timedChunks.map((c) => sum(c.timings.hintsMs))) / sum(timedChunks.map((c) => c.totalMs)) : null;
  // Host-side time of a chunk: noise, x0/re-noise arithmetic, cache bookkeeping, tensor copies.
  const hostMs = median(timedChunks.map((c) => c.totalMs - sum(c.timings.stepsMs) - sum(c.timings.hintsMs) - c.timings.cleanMs));
  const gflopPerChunk = chunkFlops(bc.model, chunkGeometry(bc), v.vace) / 1e9;
  return {
    vace: v.vace,
    loadMs: v.loadMs,
    chunks: v.chunks,
    median: {
      chunkMs,
      stepMs: median(timedChunks.flatMap((c) => c.timings.stepsMs)),
      cleanMs: median(timedChunks.map((c) => c.timings.cleanMs)),
      hintMs: v.vace ? median(timedChunks.flatMap((c) => c.timings.hintsMs)) : null,
      hostMs,
    },
    bestChunkMs: Math.min(...timedChunks.map((c) => c.totalMs)),
    hintShare,
    gflopPerChunk,
    gflops: gflopPerChunk / (chunkMs / 1000),
  };
}

/**
 * Streams `total` chunks through every variant. The variants take turns chunk by chunk, so a
 * change in the machine's load during the run affects both alike (the overhead stays fair).
 */
async function runVariants(bc: StreamBenchConfig, weightsPath: string, flags: boolean[], total: number, firstTimed: number, opts: Options, target: Target, log: (s: string) => void): Promise<VariantResult[]> {
  const variants: Variant[] = [];
  try {
    for (const vace of flags) {
      const v = await loadVariant(bc, weightsPath, vace, opts, target);
      variants.push(v);
      log(`  ${vace ? 'VACE on ' : 'VACE off'}: graphs built and sessions created in ${(v.loadMs / 1000).toFixed(1)} s`);
    }
    for (let c = 0; c < total; c++) {
      const timed = c >= firstTimed;
      const parts: string[] = [];
      for (const v of variants) parts.push(`${v.vace ? 'VACE on' : 'VACE off'} ${(await runChunk(v, bc, c, timed, opts)).totalMs.toFixed(1)} ms`);
      const f0 = c * bc.chunkFrames;
      log(`    chunk ${c} (frames ${f0}–${f0 + bc.chunkFrames - 1})${timed ? '' : ' warm-up'}: ${parts.join(', ')}`);
    }
    return variants.map((v) => summarize(v, bc));
  } finally {
    for (const v of variants) await v.model.release();
  }
}

function chunkGeometry(bc: StreamBenchConfig): ChunkGeometry {
  const grid = tokenGrid(bc.model, bc.chunkFrames, bc.latentH, bc.latentW);
  const perFrame = grid.height * grid.width;
  return { tokens: grid.frames * perFrame, attendedTokens: bc.windowFrames * perFrame, steps: bc.steps.length };
}

function machine(threads: number | undefined, loadAtStart: number) {
  const cpu = cpus();
  let ortVersion = 'unknown';
  try {
    ortVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    /* reported as unknown */
  }
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    logicalCpus: cpu.length,
    availableParallelism: availableParallelism(),
    node: process.version,
    onnxruntime: ortVersion,
    ortThreads: threads ?? null,
    loadAverage: { start: loadAtStart, end: loadavg()[0]! },
    ortThreadsNote: threads ? `intra-op threads ${threads} (--threads)` : `ORT default intra-op threads (one per physical core; ${availableParallelism()} logical CPUs available)`,
  };
}

const fmt = (v: number | null, digits = 1) => (v === null || Number.isNaN(v) ? '–' : v.toFixed(digits));

function table(bc: StreamBenchConfig, m: ReturnType<typeof machine> & { kernels: KernelChoice }, target: Target, weights: string, plan: { total: number; firstTimed: number; warmup: string }, results: VariantResult[], overheadPct: number | null): string {
  const g = chunkGeometry(bc);
  const cfg = bc.model;
  const lines: string[] = [];
  lines.push(`stream bench — ${bc.name} (${relative(process.cwd(), bc.source) || bc.source})`);
  lines.push(
    `model: dim ${cfg.dim}, ${cfg.num_heads} heads, ffn ${cfg.ffn_dim}, ${cfg.num_layers} layers, VACE layers ${cfg.vace_layers?.join(',') ?? 'none'}; ` +
      `latent ${bc.latentH}×${bc.latentW}, ${g.tokens} tokens per ${bc.chunkFrames}-frame chunk; sink ${bc.sinkFrames}, window ${bc.windowFrames} frames; steps ${bc.steps.join(',')} + clean pass`,
  );
  lines.push(`machine: ${m.cpu}, ${m.logicalCpus} logical CPUs; Node ${m.node}; onnxruntime-node ${m.onnxruntime}; ${m.ortThreadsNote}; kernels ${m.kernels} (--kernels)`);
  lines.push(`execution provider: ${target.device}, precision ${target.dtype}`);
  const busy = Math.max(m.loadAverage.start, m.loadAverage.end) > m.logicalCpus;
  lines.push(`load average (1 min) at start ${m.loadAverage.start.toFixed(1)}, at end ${m.loadAverage.end.toFixed(1)}${busy ? ' — the machine was busy with other work: figures are inflated and noisy' : ''}`);
  lines.push(`weights: ${weights}`);
  const warm = plan.firstTimed > 0 ? `chunks 0–${plan.firstTimed - 1} warm-up (window filling${plan.warmup === 'fast' ? '; clean pass only, chunk 0 also one step' : ''}), ` : '';
  lines.push(`chunks: ${plan.total} per variant; ${warm}timed: ${plan.total - plan.firstTimed} steady-state chunk${plan.total - plan.firstTimed === 1 ? '' : 's'} (${plan.firstTimed}–${plan.total - 1}), medians`);
  lines.push('');
  const head = ['variant', 'ms/chunk', 'best ms/chunk', 'ms/step', 'ms/clean pass', 'ms/VACE hints (per step)', 'hint share', 'host ms/chunk', 'GFLOP/chunk', 'GFLOP/s', 'load s'];
  const rows = results.map((r) => [
    r.vace ? 'VACE on' : 'VACE off',
    fmt(r.median.chunkMs),
    fmt(r.bestChunkMs),
    fmt(r.median.stepMs),
    fmt(r.median.cleanMs),
    fmt(r.median.hintMs),
    r.hintShare === null ? '–' : `${(100 * r.hintShare).toFixed(1)}%`,
    fmt(r.median.hostMs),
    fmt(r.gflopPerChunk, 2),
    fmt(r.gflops, 1),
    fmt(r.loadMs / 1000, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  lines.push(line(head));
  lines.push(`|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`);
  for (const r of rows) lines.push(line(r));
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}%`;
  const on = results.find((r) => r.vace);
  const off = results.find((r) => !r.vace);
  if (overheadPct !== null && on && off) {
    const best = (100 * (on.bestChunkMs - off.bestChunkMs)) / off.bestChunkMs;
    const flops = (100 * (on.gflopPerChunk - off.gflopPerChunk)) / off.gflopPerChunk;
    lines.push('', `VACE overhead: ${pct(overheadPct)} per chunk (median ms/chunk, VACE on vs off); best chunks ${pct(best)}; matrix FLOPs ${pct(flops)}`);
  }
  lines.push('GFLOP: matrix products per steady-state chunk, counted as /work/shared/bench/README.md does (text K/V excluded).');
  return lines.join('\n');
}

/** Steady state starts with the first chunk that finds the window full (and rolls it). */
function firstSteadyChunk(windowFrames: number, chunkFrames: number): number {
  return Math.ceil(windowFrames / chunkFrames);
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0]!;
  const opts = parseOptions(process.argv.slice(2));
  const bc = loadStreamBenchConfig(opts.config);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const firstTimed = firstSteadyChunk(bc.windowFrames, bc.chunkFrames);
  // Tiny configs take milliseconds per chunk (time many, timer noise dominates); big ones take
  // minutes on a small CPU (time one).
  const flops = chunkFlops(bc.model, chunkGeometry(bc), !!bc.model.vace_layers?.length);
  const total = opts.chunks ?? firstTimed + (flops < 5e9 ? 12 : flops < 1e12 ? 3 : 1);
  if (total <= firstTimed) log(`note: --chunks ${total} ends before the window fills (chunk ${firstTimed}); no chunk is in steady state, all ${total} are timed`);
  const timedFrom = total <= firstTimed ? 0 : firstTimed;

  let weightsPath: string;
  let weightsNote: string;
  if (bc.weightsPath) {
    weightsPath = bc.weightsPath;
    weightsNote = `${relative(process.cwd(), weightsPath)} (fixture weights)`;
  } else {
    const t0 = performance.now();
    const w = ensureRandomWeights(randomWeightsPath(bc.name.replace(/[^A-Za-z0-9._-]/g, '_')), bc.model, { seed: opts.seed });
    weightsPath = w.path;
    weightsNote = `${relative(process.cwd(), w.path)} (seeded random F32, seed ${opts.seed}, ${(w.bytes / 2 ** 20).toFixed(1)} MiB, ${w.created ? `generated in ${((performance.now() - t0) / 1000).toFixed(1)} s` : 'reused'})`;
  }
  log(`stream bench: ${bc.name}, ${total} chunks per variant (timed from chunk ${timedFrom}), weights ${weightsNote}`);

  const variants = opts.vace === 'both' ? [true, false] : [opts.vace === 'on'];
  if (variants.includes(true) && !bc.model.vace_layers?.length) throw new Error(`stream bench: config ${bc.name} has no vace_layers; use --vace off`);
  const { device } = await resolveDevice(opts.device, log);
  const target: Target = { device, dtype: resolveDtype(opts.dtype, device) };
  log(`  on ${target.device} in ${target.dtype}`);
  const results = await runVariants(bc, weightsPath, variants, total, timedFrom, opts, target, log);

  const on = results.find((r) => r.vace);
  const off = results.find((r) => !r.vace);
  const overheadPct = on && off ? (100 * (on.median.chunkMs - off.median.chunkMs)) / off.median.chunkMs : null;
  const m = { ...machine(opts.threads, loadAtStart), kernels: opts.kernels };
  const text = table(bc, m, target, weightsNote, { total, firstTimed: timedFrom, warmup: opts.warmup }, results, overheadPct);
  const report = {
    bench: 'stream',
    config: { name: bc.name, source: bc.source, model: bc.model, latent_hw: [bc.latentH, bc.latentW], chunk_frames: bc.chunkFrames, steps: bc.steps, sink_frames: bc.sinkFrames, window_frames: bc.windowFrames, vace_context_scale: bc.contextScale },
    machine: m,
    device: target.device,
    dtype: target.dtype,
    weights: weightsNote,
    chunks: { total, timed_from: timedFrom, timed: total - timedFrom, warmup: opts.warmup },
    variants: Object.fromEntries(
      results.map((r) => [
        r.vace ? 'vace' : 'plain',
        {
          median_ms: { chunk: r.median.chunkMs, step: r.median.stepMs, clean_pass: r.median.cleanMs, vace_hints_per_step: r.median.hintMs, host: r.median.hostMs },
          best_chunk_ms: r.bestChunkMs,
          hint_share: r.hintShare,
          gflop_per_chunk: r.gflopPerChunk,
          gflops: r.gflops,
          load_ms: r.loadMs,
          per_chunk: r.chunks.map((c) => ({ chunk: c.chunk, timed: c.timed, total_ms: c.totalMs, steps_ms: c.timings.stepsMs, hints_ms: c.timings.hintsMs, clean_ms: c.timings.cleanMs })),
        },
      ]),
    ),
    vace_overhead_pct: overheadPct,
    vace_overhead_best_pct: on && off ? (100 * (on.bestChunkMs - off.bestChunkMs)) / off.bestChunkMs : null,
  };
  if (opts.json) {
    process.stderr.write(`\n${text}\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    process.stdout.write(`\n${text}\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
