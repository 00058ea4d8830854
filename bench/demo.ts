/**
 * `npm run bench:demo`: frames per second of the whole demo pipeline (prompt → VACE context →
 * causal DiT → TAE decode) at the demo size on this machine, per mode: text only, conditioning
 * (a control every chunk), and references only. Prints a table and JSON.
 */
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { allocRgbFrames, type RgbFrames } from '../src/frames.ts';
import type { ChunkInput } from '../src/pipeline/generator-types.ts';
import type { WanStreamGenerator } from '../src/pipeline/wan-generator.ts';
import { loadDemoBundle } from '../src/presets/bundle.ts';

const { values } = parseArgs({ options: { chunks: { type: 'string', default: '10' }, 'models-dir': { type: 'string' } } });
const chunks = Number(values.chunks);
const modelsDir = values['models-dir'] ?? join(tmpdir(), 'vace-live-bench-models');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function pattern(w: number, h: number, n: number, seed: number): RgbFrames {
  const f = allocRgbFrames(w, h, n);
  for (let i = 0; i < f.data.length; i++) f.data[i] = (i * 13 + seed * 29) & 255;
  return f;
}

const bundle = await loadDemoBundle({ modelsDir, log: (m) => console.error(m) });
const rows: { mode: string; fps: number; msPerChunk: number; frames: number; chunks: number }[] = [];
const ref = { width: 96, height: 64, data: new Uint8Array(96 * 64 * 3).fill(180) };
const modes: Record<string, (frames: RgbFrames) => Partial<ChunkInput>> = {
  'text only': () => ({}),
  'conditioning (control every chunk)': (frames) => ({ control: { frames } }),
  'reference image': () => ({ references: [ref] }),
};
for (const [mode, extra] of Object.entries(modes)) {
  const g = bundle.createGenerator() as WanStreamGenerator;
  const n = g.framesForNextChunk();
  const times: number[] = [];
  let frames = 0;
  // Two warm-up chunks (first ORT runs, decoder warm-up trim) are not timed.
  for (let c = 0; c < chunks + 2; c++) {
    const input = pattern(bundle.width, bundle.height, n, c);
    const t0 = performance.now();
    const out = await g.generate({ frames: input, params: { prompt: 'neon city at night', seed: 1, contextScale: 1 }, ...extra(input) });
    if (c >= 2) {
      times.push(performance.now() - t0);
      frames += out.count;
    }
  }
  const total = times.reduce((a, b) => a + b, 0);
  rows.push({ mode, fps: (frames / total) * 1000, msPerChunk: median(times), frames, chunks: times.length });
  await g.dispose();
}
await bundle.release();
console.log(`demo preset ${bundle.width}×${bundle.height}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()[0]!.toFixed(1)}`);
console.log('| mode | FPS | ms per 12-frame chunk (median) | chunks timed |');
console.log('|---|--:|--:|--:|');
for (const r of rows) console.log(`| ${r.mode} | ${r.fps.toFixed(1)} | ${r.msPerChunk.toFixed(0)} | ${r.chunks} |`);
console.log(JSON.stringify({ bench: 'demo', width: bundle.width, height: bundle.height, loadavg: loadavg()[0], rows }));
