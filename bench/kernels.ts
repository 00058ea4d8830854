/**
 * Fused vs plain kernels, op by op, on one execution provider: for each op the kernel sets of
 * src/model/onnx/kernels.ts choose between (attention with a KV window, with zero keys,
 * cross-attention, UMT5's biased attention, RMSNorm, RoPE), the same sub-graph is built with the
 * plain ops and with the fused contrib op, run on `--device` and compared with the plain graph on
 * CPU (max |Δ|), and timed (median ms over `--reps`). This is the evidence a provider's kernel set
 * rests on; rerun it on a new GPU or ORT version before changing the set.
 *
 *   npx tsx bench/kernels.ts [--device cpu|webgpu|cuda] [--config small|tiny|medium|path.json] [--reps N] [--threads N]
 *
 * Shapes come from the stream bench config: its dim and heads, the tokens of one chunk, the KV
 * window and the flex-attention zero-key padding. Inputs are seeded random normals; on a GPU the
 * times include copying inputs in and the output back, as every run through ModelSession does.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Graph, type Value } from '../src/model/onnx/graph.ts';
import { FUSED_KERNELS, PLAIN_KERNELS, kernelSet, type KernelSet } from '../src/model/onnx/kernels.ts';
import { attention, rmsNorm } from '../src/model/onnx/nn.ts';
import { fusedAttention } from '../src/model/onnx/fused.ts';
import { add, equal, matmul, reshape, softmax, transpose, where } from '../src/model/onnx/ops.ts';
import { Xoshiro128 } from '../src/model/prng.ts';
import { ModelSession, type Device } from '../src/model/runtime/session.ts';
import { f32, i64, type Tensor } from '../src/model/tensor.ts';
import { applyRope, type BlockContext } from '../src/model/wan/block.ts';
import { parseWanConfig, tokenGrid } from '../src/model/wan/config.ts';
import { flexAttentionPadding } from '../src/model/wan/graphs.ts';
import { loadStreamBenchConfig } from './stream-config.ts';

interface OpCase {
  name: string;
  build: (g: Graph) => Value;
  feeds: Record<string, Tensor>;
}

function parseOptions() {
  const { values } = parseArgs({
    options: { device: { type: 'string', default: 'cpu' }, config: { type: 'string', default: 'small' }, reps: { type: 'string', default: '10' }, threads: { type: 'string' } },
    strict: true,
  });
  const device = values.device as Device;
  if (!['cpu', 'webgpu', 'cuda'].includes(device)) throw new Error(`--device must be cpu, webgpu or cuda, got "${values.device}"`);
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps <= 0) throw new Error(`--reps needs a positive integer, got "${values.reps}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && (!Number.isInteger(threads) || threads <= 0)) throw new Error(`--threads needs a positive integer, got "${values.threads}"`);
  return { device, config: values.config as string, reps, threads };
}

const randn = (n: number, seed: number, scale = 1) => new Xoshiro128(seed, 11).fillNormal(new Float32Array(n)).map((v) => v * scale);

function cases(configName: string): { label: string; ops: OpCase[] } {
  const bc = loadStreamBenchConfig(configName);
  const cfg = parseWanConfig(bc.model);
  const grid = tokenGrid(cfg, bc.chunkFrames, bc.latentH, bc.latentW);
  const L = grid.frames * grid.height * grid.width;
  const K = (bc.windowFrames / bc.chunkFrames) * L; // cached + current keys of a full window
  const D = cfg.dim;
  const H = cfg.num_heads;
  const T = cfg.text_len;
  const C = D / H / 2;
  const mat = (n: number, seed: number, scale = 1) => f32([n, D], randn(n * D, seed, scale));
  const qkv = (name: string, n: number) => (g: Graph) => g.input(name, 'float32', [n, D]);
  const angles = randn(L * C, 9, 3);
  const B = 2;
  const mask = Array.from({ length: B * T }, (_, i) => (i < T || i % T < T / 2 ? 1 : 0));
  return {
    label: `${bc.name}: dim ${D}, ${H} heads, ${L} tokens per chunk, ${K} keys in the window, ${flexAttentionPadding(L)} zero keys, text ${T}`,
    ops: [
      { name: `self-attention over the KV window (${L}×${K})`, build: (g) => attention(qkv('q', L)(g), qkv('k', K)(g), qkv('v', K)(g), H), feeds: { q: mat(L, 1), k: mat(K, 2), v: mat(K, 3) } },
      { name: `VACE self-attention + ${flexAttentionPadding(L)} zero keys (${L}×${L})`, build: (g) => attention(qkv('q', L)(g), qkv('k', L)(g), qkv('v', L)(g), H, { zeroKeys: flexAttentionPadding(L) }), feeds: { q: mat(L, 4), k: mat(L, 5), v: mat(L, 6) } },
      { name: `cross-attention to the text (${L}×${T})`, build: (g) => attention(qkv('q', L)(g), qkv('k', T)(g), qkv('v', T)(g), H), feeds: { q: mat(L, 7), k: mat(T, 8), v: mat(T, 9) } },
      {
        name: `UMT5 biased attention (batch ${B}, ${T}×${T})`,
        build: (g) => {
          const bias = where(equal(g.input('mask', 'int64', [B, 1, 1, T]), 0), g.constant(-3.4028234663852886e38), g.input('pos', 'float32', [1, H, T, T]));
          const [q, k, v] = ['q', 'k', 'v'].map((n) => g.input(n, 'float32', [B, T, D])) as [Value, Value, Value];
          if (g.kernels.attention) return fusedAttention(q, k, v, H, { scale: 1, bias });
          const heads = (t: Value, perm: number[]) => transpose(reshape(t, [0, 0, H, D / H]), perm);
          const probs = softmax(add(matmul(heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])), bias), -1);
          return reshape(transpose(matmul(probs, heads(v, [0, 2, 1, 3])), [0, 2, 1, 3]), [0, 0, D]);
        },
        feeds: { q: f32([B, T, D], randn(B * T * D, 10)), k: f32([B, T, D], randn(B * T * D, 11)), v: f32([B, T, D], randn(B * T * D, 12)), pos: f32([1, H, T, T], randn(H * T * T, 13)), mask: i64([B, 1, 1, T], mask) },
      },
      { name: `RMSNorm (${L}×${D})`, build: (g) => rmsNorm(qkv('x', L)(g), g.input('w', 'float32', [D]), cfg.eps), feeds: { x: mat(L, 14, 3), w: f32([D], randn(D, 15)) } },
      {
        name: `RoPE, interleaved (${L}×${D})`,
        build: (g) => applyRope(qkv('x', L)(g), { cfg, grid, ropeCos: g.input('cos', 'float32', [L, 1, C, 1]), ropeSin: g.input('sin', 'float32', [L, 1, C, 1]) } as BlockContext),
        feeds: { x: mat(L, 16), cos: f32([L, 1, C, 1], angles.map(Math.cos)), sin: f32([L, 1, C, 1], angles.map(Math.sin)) },
      },
    ],
  };
}

async function session(op: OpCase, kernels: KernelSet, device: Device, threads: number | undefined): Promise<ModelSession> {
  const g = new Graph('kernel_bench', { kernels });
  g.output(op.build(g), 'y');
  return ModelSession.fromGraph(g, {
    device,
    ...(threads ? { threads } : {}),
    onFallback: (d, e) => {
      throw new Error(`${d} failed: ${e.message.split('\n')[0]}`);
    },
  });
}

async function timeRuns(s: ModelSession, feeds: Record<string, Tensor>, reps: number): Promise<{ y: Float32Array; ms: number }> {
  const y = (await s.run(feeds)).y!.data as Float32Array; // warm-up (and the result compared)
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { y, ms: times[times.length >> 1]! };
}

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

async function main(): Promise<void> {
  const opts = parseOptions();
  const { label, ops } = cases(opts.config);
  const chosen = kernelSet(opts.device);
  console.log(`kernel bench — ${label}`);
  console.log(`device ${opts.device}; ${opts.threads ? `${opts.threads} threads` : `ORT default threads (${availableParallelism()} logical CPUs)`}; median of ${opts.reps} runs; load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(`kernel set chosen for ${opts.device} (kernels.ts): ${JSON.stringify(chosen)}\n`);
  console.log('| op | plain ms | fused ms | fused/plain | max |plain − cpu| | max |fused − cpu| |');
  console.log('|:---|---:|---:|---:|---:|---:|');
  for (const op of ops) {
    const ref = await session(op, PLAIN_KERNELS, 'cpu', opts.threads);
    const want = (await ref.run(op.feeds)).y!.data as Float32Array;
    await ref.release();
    const row: string[] = [op.name];
    const errs: string[] = [];
    const ms: number[] = [];
    for (const kernels of [PLAIN_KERNELS, FUSED_KERNELS]) {
      const s = await session(op, kernels, opts.device, opts.threads);
      try {
        const r = await timeRuns(s, op.feeds, opts.reps);
        ms.push(r.ms);
        errs.push(maxDiff(r.y, want).toExponential(1));
      } finally {
        await s.release();
      }
    }
    row.push(ms[0]!.toFixed(2), ms[1]!.toFixed(2), (ms[1]! / ms[0]!).toFixed(2), ...errs);
    console.log(`| ${row.join(' | ')} |`);
  }
}

await main();
