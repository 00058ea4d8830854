/**
 * `npm run bench:gpu`: the whole streaming generator at the real 1.3B shape on a GPU provider —
 * frames per second and milliseconds per stage (depth control, VACE context encode, each DiT
 * step, VACE hints, clean pass, TAE decode) for text-only, depth-controlled and reference modes,
 * at 368×640 and 480×832, with the GPU memory in use.
 *
 *   npm run bench:gpu -- [--device webgpu|cuda|cpu] [--shape 1.3b|demo] [--sizes 368x640,480x832]
 *                        [--modes text,depth,reference] [--chunks N] [--threads N] [--json]
 *
 * Weights: seeded random tensors in the real layouts — LongLive/Wan2.1-1.3B DiT with the VACE
 * 1.3B module (`WAN_1_3B`), TAEHV taew2_1, Video-Depth-Anything-Small — generated on first use into
 * `.cache/bench/` (about 8 GB of float32 for `1.3b`) and reused. Random weights cost the same
 * arithmetic as trained ones, so the timings are the real model's.
 *
 * Not measured here: the UMT5-XXL prompt encoder. It runs once per prompt change, off the
 * per-chunk path, so the generator gets seeded random text embeddings of the real shape
 * ([text_len, 4096]) instead.
 *
 * `--shape demo` runs the same stages at the demo preset's miniature sizes: it checks the bench
 * itself on any machine (the CPU, or lavapipe's software WebGPU) in seconds.
 *
 * On a headless Linux GPU machine the WebGPU provider needs the Vulkan loader (libvulkan1) and the
 * vendor's ICD; `nvidia-smi` (when present) reports the GPU's name and memory.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { TaeStreamCache } from '../cache/tae-cache.ts';
import { DepthControl } from '../controls/depth.ts';
import type { RgbFrames } from '../src/frames.ts';
import { VDA_SMALL, type DepthConfig } from '../src/model/depth/config.ts';
import { depthWeightShapes } from '../src/model/depth/weight-shapes.ts';
import type { Device } from '../src/model/runtime/session.ts';
import { TAEW2_1, type TaeConfig } from '../src/model/tae/config.ts';
import { taeWeightShapes } from '../src/model/tae/layout.ts';
import { TaeModel } from '../src/model/tae/model.ts';
import { f32, type F32Tensor } from '../src/model/tensor.ts';
import { WAN_1_3B, type WanConfig } from '../src/model/wan/config.ts';
import { WanModel } from '../src/model/wan/model.ts';
import { randomTensor, writeRandomSafetensors } from '../src/model/weights/random.ts';
import { safetensorsWeights } from '../src/model/weights/reader.ts';
import { SafetensorsFile } from '../src/model/weights/safetensors.ts';
import type { ChunkInput } from '../src/pipeline/generator-types.ts';
import { TaeStreamVae } from '../src/pipeline/tae-stream-vae.ts';
import { WanStreamGenerator, type PromptEncoder } from '../src/pipeline/wan-generator.ts';
import { demoConfig } from '../src/presets/demo.ts';
import { LONGLIVE_1_3B } from '../src/presets/longlive.ts';
import { ensureRandomWeights, randomWeightsPath } from './random-weights.ts';

const USAGE = `usage: npm run bench:gpu -- [options]
  --device webgpu|cuda|cpu      execution provider (default webgpu)
  --shape 1.3b|demo             real LongLive 1.3B shape (default) or the demo's miniature sizes
  --sizes HxW[,HxW…]            output sizes (default 368x640,480x832; demo: 256x256)
  --modes text,depth,reference  which modes to run (default all three)
  --chunks N                    timed chunks per mode after 2 warm-up chunks (default 6)
  --threads N                   CPU provider intra-op threads
  --json                        one JSON line on stdout, the table on stderr
`;

type Mode = 'text' | 'depth' | 'reference';
const MODES: readonly Mode[] = ['text', 'depth', 'reference'];

interface Shape {
  name: string;
  wan: WanConfig;
  tae: TaeConfig;
  depth: DepthConfig;
  latentFrames: number;
  sinkFrames: number;
  windowFrames: number;
  sizes: [number, number][];
}

function shapeNamed(name: string): Shape {
  if (name === '1.3b') {
    return { name, wan: WAN_1_3B, tae: TAEW2_1, depth: VDA_SMALL, latentFrames: LONGLIVE_1_3B.latent.frames, sinkFrames: LONGLIVE_1_3B.sinkFrames, windowFrames: LONGLIVE_1_3B.windowFrames, sizes: [[368, 640], [480, 832]] };
  }
  if (name === 'demo') {
    const d = demoConfig();
    // The depth net at its real architecture but a small input side keeps the demo run short.
    return { name, wan: d.wan, tae: d.tae, depth: { ...VDA_SMALL, inputSize: 56 }, latentFrames: d.latent.frames, sinkFrames: d.sinkFrames, windowFrames: d.windowFrames, sizes: [[d.latent.height * 8, d.latent.width * 8]] };
  }
  throw new Error(`--shape must be 1.3b or demo, got "${name}"`);
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      device: { type: 'string', default: 'webgpu' },
      shape: { type: 'string', default: '1.3b' },
      sizes: { type: 'string' },
      modes: { type: 'string', default: MODES.join(',') },
      chunks: { type: 'string', default: '6' },
      threads: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const device = values.device as Device;
  if (!['webgpu', 'cuda', 'cpu'].includes(device)) throw new Error(`--device must be webgpu, cuda or cpu, got "${values.device}"`);
  const shape = shapeNamed(values.shape!);
  const positive = (flag: string, v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} needs a positive integer, got "${v}"`);
    return n;
  };
  if (values.sizes) {
    shape.sizes = values.sizes.split(',').map((s) => {
      const m = /^(\d+)x(\d+)$/.exec(s.trim());
      if (!m) throw new Error(`--sizes: "${s}" is not HxW`);
      const [h, w] = [Number(m[1]), Number(m[2])];
      if (h % 16 !== 0 || w % 16 !== 0) throw new Error(`--sizes: ${h}x${w} must be multiples of 16 (8× the latent grid, 2×2 patches)`);
      return [h, w] as [number, number];
    });
  }
  const modes = values.modes!.split(',').map((m) => m.trim());
  for (const m of modes) if (!(MODES as readonly string[]).includes(m)) throw new Error(`--modes: "${m}" is not one of ${MODES.join(', ')}`);
  return {
    device,
    shape,
    modes: modes as Mode[],
    chunks: positive('chunks', values.chunks!),
    threads: values.threads ? positive('threads', values.threads) : undefined,
    json: values.json!,
  };
}

/** Random weights of one model under `.cache/bench/`, generated once. */
function ensureFile(name: string, spec: ReadonlyMap<string, readonly number[]>, seed: number, log: (m: string) => void): string {
  const path = randomWeightsPath(name);
  if (!existsSync(path)) {
    log(`generating ${name} (seeded random weights in the real layout) → ${path}`);
    writeRandomSafetensors(path, spec, seed);
  }
  return path;
}

/** Seeded text embeddings of the encoder's output shape: the per-chunk cost does not depend on their values. */
class RandomPromptEncoder implements PromptEncoder {
  readonly #shape: [number, number];
  constructor(textLen: number, textDim: number) {
    this.#shape = [textLen, textDim];
  }
  async encode(prompt: string): Promise<F32Tensor> {
    return f32(this.#shape, randomTensor(prompt.length + 1, 'bench.text', this.#shape).data);
  }
}

/** A moving gradient with a bright disc: camera-like input for the depth net and V2V. */
function cameraFrames(width: number, height: number, count: number, chunk: number): RgbFrames {
  const data = new Uint8Array(width * height * 3 * count);
  for (let f = 0; f < count; f++) {
    const cx = width * (0.3 + 0.01 * (chunk * count + f));
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = ((f * height + y) * width + x) * 3;
        const v = (x - cx) ** 2 + (y - height / 2) ** 2 < (height / 4) ** 2 ? 220 : ((x + y) / (width + height)) * 160 + 40;
        data[o] = v;
        data[o + 1] = v * 0.9;
        data[o + 2] = v * 0.8;
      }
    }
  }
  return { width, height, count, data };
}

/** The GPU's name and used/total memory in MiB, from nvidia-smi when it is there. */
function gpuMemory(): { name: string; usedMiB: number; totalMiB: number } | undefined {
  try {
    const out = execFileSync('nvidia-smi', ['--query-gpu=name,memory.used,memory.total', '--format=csv,noheader,nounits'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [name, used, total] = out.split('\n')[0]!.split(',').map((s) => s.trim());
    return { name: name!, usedMiB: Number(used), totalMiB: Number(total) };
  } catch {
    return undefined;
  }
}

const median = (xs: readonly number[]): number => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);

interface Row {
  size: string;
  mode: Mode;
  fps: number;
  wallMs: number;
  controlMs: number;
  vaceMs: number;
  stepsMs: number[];
  hintsMs: number;
  cleanMs: number;
  decodeMs: number;
  gpuUsedMiB?: number;
  rssMiB: number;
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const { shape } = o;
  const session = { device: o.device, threads: o.threads, onFallback: (d: Device, e: Error) => { throw new Error(`${d} provider failed: ${e.message.split('\n')[0]}`); } };

  const dit = ensureRandomWeights(randomWeightsPath(`gpu-${shape.name}-dit`), shape.wan, { seed: 1, vace: true });
  if (dit.created) log(`generated the DiT + VACE random weights (${(dit.bytes / 2 ** 30).toFixed(1)} GiB) → ${dit.path}`);
  const taePath = ensureFile(`gpu-${shape.name}-tae`, taeWeightShapes(shape.tae), 2, log);
  const depthPath = ensureFile(`gpu-${shape.name}-depth`, depthWeightShapes(shape.depth), 3, log);

  const ditFile = new SafetensorsFile(dit.path);
  const taeFile = new SafetensorsFile(taePath);
  const tae = await TaeModel.load(shape.tae, safetensorsWeights(taeFile), session);
  const text = new RandomPromptEncoder(shape.wan.text_len, shape.wan.text_dim);
  const rows: Row[] = [];
  const gpu = gpuMemory();
  try {
    for (const [height, width] of shape.sizes) {
      const t0 = performance.now();
      const model = await WanModel.load(shape.wan, safetensorsWeights(ditFile), { latentFrames: shape.latentFrames, latentH: height / 8, latentW: width / 8 }, { ...session, cache: true, vace: true, vaceAttention: 'causal' });
      log(`${height}×${width}: DiT + VACE graphs built and loaded on ${o.device} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      for (const mode of o.modes) {
        const generator = new WanStreamGenerator({ dit: model, vae: new TaeStreamVae(tae, new TaeStreamCache()), text, sinkFrames: shape.sinkFrames, windowFrames: shape.windowFrames });
        const depth = mode === 'depth' ? new DepthControl({ weightsPath: depthPath, config: shape.depth, ...session }) : undefined;
        const reference = mode === 'reference' ? [cameraFrames(width, height, 1, 99)].map((f) => ({ width: f.width, height: f.height, data: f.data })) : undefined;
        const samples: Omit<Row, 'size' | 'mode' | 'fps' | 'gpuUsedMiB' | 'rssMiB'>[] = [];
        let frames = 0;
        let timedMs = 0;
        for (let c = 0; c < o.chunks + 2; c++) {
          const input = cameraFrames(width, height, generator.framesForNextChunk(), c);
          const start = performance.now();
          const control = depth ? await depth.process(input) : undefined;
          const controlMs = performance.now() - start;
          const chunkInput: ChunkInput = { frames: input, params: { prompt: 'a neon city at night', seed: 1, contextScale: 1 }, ...(control ? { control } : {}), ...(reference ? { references: reference } : {}) };
          const out = await generator.generate(chunkInput);
          const wallMs = performance.now() - start;
          const r = generator.lastReport;
          if (c < 2 || !r) continue; // warm-up: first ORT runs and the decoder's trimmed first chunk
          frames += out.count;
          timedMs += wallMs;
          samples.push({ wallMs, controlMs, vaceMs: r.vaceMs, stepsMs: r.timings.stepsMs, hintsMs: r.timings.hintsMs.reduce((a, b) => a + b, 0), cleanMs: r.timings.cleanMs, decodeMs: r.decodeMs });
        }
        const steps = samples[0]?.stepsMs.length ?? 0;
        rows.push({
          size: `${height}×${width}`,
          mode,
          fps: (frames / timedMs) * 1000,
          wallMs: median(samples.map((s) => s.wallMs)),
          controlMs: median(samples.map((s) => s.controlMs)),
          vaceMs: median(samples.map((s) => s.vaceMs)),
          stepsMs: Array.from({ length: steps }, (_, i) => median(samples.map((s) => s.stepsMs[i]!))),
          hintsMs: median(samples.map((s) => s.hintsMs)),
          cleanMs: median(samples.map((s) => s.cleanMs)),
          decodeMs: median(samples.map((s) => s.decodeMs)),
          gpuUsedMiB: gpuMemory()?.usedMiB,
          rssMiB: process.memoryUsage().rss / 2 ** 20,
        });
        await generator.dispose();
        await depth?.dispose();
      }
      await model.release();
    }
  } finally {
    await tae.release();
    ditFile.close();
    taeFile.close();
  }

  const where = gpu ? `${gpu.name} (${gpu.totalMiB} MiB)` : `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, no nvidia-smi`;
  const table = [
    `bench:gpu — shape ${shape.name}, device ${o.device}, ${where}, load average ${loadavg()[0]!.toFixed(1)}, ${new Date().toISOString().slice(0, 10)}`,
    '| size | mode | FPS | ms/chunk | control | VACE encode | DiT steps (each) | hints (all steps) | clean pass | TAE decode | GPU MiB | RSS MiB |',
    '|---|---|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|',
    ...rows.map((r) => `| ${r.size} | ${r.mode} | ${r.fps.toFixed(1)} | ${r.wallMs.toFixed(0)} | ${r.controlMs.toFixed(0)} | ${r.vaceMs.toFixed(0)} | ${r.stepsMs.map((s) => s.toFixed(0)).join(' / ')} | ${r.hintsMs.toFixed(0)} | ${r.cleanMs.toFixed(0)} | ${r.decodeMs.toFixed(0)} | ${r.gpuUsedMiB ?? 'n/a'} | ${r.rssMiB.toFixed(0)} |`),
  ].join('\n');
  const json = JSON.stringify({ bench: 'gpu', shape: shape.name, device: o.device, gpu: gpu?.name ?? null, loadavg: loadavg()[0], rows });
  if (o.json) {
    process.stderr.write(`${table}\n`);
    process.stdout.write(`${json}\n`);
  } else {
    process.stdout.write(`${table}\n${json}\n`);
  }
}

main().catch((e: Error) => {
  process.stderr.write(`bench:gpu: ${e.message}\n`);
  process.exit(1);
});

