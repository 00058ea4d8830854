/**
 * TAE throughput: ms per chunk for streaming encode and decode, in the generator's chunking
 * (first chunk 13 frames → 4 latents → 13 frames, then 12 → 3 → 12), at 256×256 and 368×640
 * (or `--sizes 256x256,368x640`). Random weights with the real widths: the tae fixture
 * manifest's config when $VACE_FIXTURES has one, else the taew2_1 preset. Prints a table and
 * a JSON line. Also times the uint8 ↔ tensor conversions around the network.
 *
 *   npx tsx bench/tae.ts [--reps 3] [--sizes 256x256,368x640] [--threads N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { allocRgbFrames } from '../src/frames.ts';
import { parseTaeConfig, TAEW2_1, type TaeConfig } from '../src/model/tae/config.ts';
import { rgbFramesToTensor, tensorToRgbFrames } from '../src/model/tae/frames.ts';
import { TaeModel } from '../src/model/tae/model.ts';
import { randomWeights } from '../src/model/weights/random.ts';
import { taeLayout, taeWeightShapes, type TaeModule } from '../src/model/tae/layout.ts';
import { TaeDecoderState, TaeEncoderState } from '../src/model/tae/state.ts';
import { f32, type F32Tensor } from '../src/model/tensor.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function loadConfig(): { cfg: TaeConfig; source: string } {
  const root = resolve(process.env.VACE_FIXTURES ?? join(import.meta.dirname, '../../shared/fixtures'));
  const path = join(root, 'tae', 'manifest.json');
  if (existsSync(path)) {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { config?: unknown };
    return { cfg: parseTaeConfig(manifest.config, `${path} config`), source: path };
  }
  return { cfg: TAEW2_1, source: 'taew2_1 preset' };
}

/** Multiply-add FLOPs (2 per MAC) of the convolutions of one call, walking the module list. */
function convFlops(mods: readonly TaeModule[], frames: number, height: number, width: number): number {
  let [t, h, w, flops] = [frames, height, width, 0];
  for (const m of mods) {
    if (m.kind === 'conv') {
      if (m.stride === 2) [h, w] = [h / 2, w / 2];
      flops += 2 * t * h * w * m.cout * m.cin * 9;
    } else if (m.kind === 'mem') flops += 2 * t * h * w * m.channels * m.channels * 9 * 4; // conv0 (2C→C) + conv2 + conv4
    else if (m.kind === 'tpool') {
      t /= m.stride;
      flops += 2 * t * h * w * m.channels * m.channels * m.stride;
    } else if (m.kind === 'tgrow') {
      flops += 2 * t * h * w * m.channels * m.channels * m.stride;
      t *= m.stride;
    } else if (m.kind === 'upsample') [h, w] = [h * m.scale, w * m.scale];
  }
  return flops;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function randomPixels(frames: number, h: number, w: number): F32Tensor {
  const t = f32([3, frames, h, w]);
  for (let i = 0; i < t.data.length; i++) t.data[i] = Math.random() * 2 - 1;
  return t;
}

interface Row {
  size: string;
  /** GFLOP of the steady-state encode (12 frames) and decode (3 latents). */
  gflopEncode12: number;
  gflopDecode3: number;
  encodeFirst13: number;
  encode12: number;
  decodeFirst4: number;
  decode3: number;
  toTensor12: number;
  toRgb12: number;
}

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function benchSize(tae: TaeModel, h: number, w: number, reps: number): Promise<Row> {
  const first = randomPixels(13, h, w);
  const later = randomPixels(12, h, w);
  const enc = new TaeEncoderState();
  const encodeFirst13 = await timeIt(() => tae.encode(first, enc));
  const encTimes: number[] = [];
  let latents: F32Tensor | undefined;
  for (let r = 0; r < reps; r++) encTimes.push(await timeIt(async () => (latents = await tae.encode(later, enc))));

  const dec = new TaeDecoderState();
  const z4 = await tae.encode(first); // 4 latents, one-off
  const decodeFirst4 = await timeIt(() => tae.decode(z4, dec));
  const decTimes: number[] = [];
  let pixels: F32Tensor | undefined;
  for (let r = 0; r < reps; r++) decTimes.push(await timeIt(async () => (pixels = await tae.decode(latents!, dec))));

  const rgb = allocRgbFrames(w, h, 12);
  const scratch = f32([3, 12, h, w]);
  const toTensor = [] as number[];
  const toRgb = [] as number[];
  for (let r = 0; r < Math.max(reps, 3); r++) {
    toTensor.push(await timeIt(() => rgbFramesToTensor(rgb, scratch)));
    toRgb.push(await timeIt(() => tensorToRgbFrames(pixels!, rgb)));
  }
  const layout = taeLayout(tae.cfg);
  const gflopEncode12 = convFlops(layout.encoder, tae.paddedFrames(12), h, w) / 1e9;
  const gflopDecode3 = convFlops(layout.decoder, latents!.shape[1]!, h / tae.cfg.spatial_downscale, w / tae.cfg.spatial_downscale) / 1e9;
  return { size: `${w}×${h}`, gflopEncode12, gflopDecode3, encodeFirst13, encode12: median(encTimes), decodeFirst4, decode3: median(decTimes), toTensor12: median(toTensor), toRgb12: median(toRgb) };
}

async function main(): Promise<void> {
  const reps = Number(arg('reps') ?? 3);
  const threads = arg('threads') ? Number(arg('threads')) : undefined;
  const sizes = (arg('sizes') ?? '256x256,368x640').split(',').map((s) => {
    const [h, w] = s.split('x').map(Number) as [number, number];
    return { h, w };
  });
  const { cfg, source } = loadConfig();
  const t0 = performance.now();
  const tae = await TaeModel.load(cfg, randomWeights(taeWeightShapes(cfg), 0), threads ? { threads } : {});
  const loadMs = performance.now() - t0;
  console.log(`TAE bench: config ${source} (encoder width ${cfg.encoder_width}, decoder widths [${cfg.decoder_widths.join(', ')}]), random weights, ${reps} reps, load ${loadMs.toFixed(0)} ms`);
  const rows: Row[] = [];
  for (const { h, w } of sizes) rows.push(await benchSize(tae, h, w, reps));
  await tae.release();

  const f = (x: number) => x.toFixed(1).padStart(9);
  console.log('\n| size (W×H) | encode 13 (first) | encode 12 | decode 4 lat (first) | decode 3 lat | u8→tensor 12 | tensor→u8 12 | VACE chunk (2 encodes + decode) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.size} | ${f(r.encodeFirst13)} | ${f(r.encode12)} | ${f(r.decodeFirst4)} | ${f(r.decode3)} | ${f(r.toTensor12)} | ${f(r.toRgb12)} | ${f(2 * r.encode12 + r.decode3)} |`);
  }
  console.log('(ms; steady-state columns are medians; one ORT run per encode and per decode call)');
  for (const r of rows) {
    console.log(`${r.size}: encode 12 = ${r.gflopEncode12.toFixed(0)} GFLOP (${((r.gflopEncode12 * 1e3) / r.encode12).toFixed(0)} GFLOP/s), decode 3 = ${r.gflopDecode3.toFixed(0)} GFLOP (${((r.gflopDecode3 * 1e3) / r.decode3).toFixed(0)} GFLOP/s)`);
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`);
  console.log(JSON.stringify({ bench: 'tae', config: source, reps, threads: threads ?? 'ort-default', loadMs: Math.round(loadMs), rows }));
}

await main();
