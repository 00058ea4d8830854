/**
 * Benchmark of the weight-free controls: milliseconds per chunk (12 frames, 640×368 by default) for
 * each control and a few compositions, on synthetic camera-like frames (gradients, shapes, noise).
 *
 *   npx tsx bench/controls.ts [--width 640] [--height 368] [--frames 12] [--runs 10]
 *
 * Prints a table and then one JSON line (`{"bench":"controls",...}`) for tooling. Besides wall time
 * it reports process CPU time per chunk, which is steadier than wall time when the machine's cores
 * are shared with other work (sharp's decode threads count towards it too).
 */
import sharp from 'sharp';
import { createControl } from '../controls/registry.ts';
import type { Control } from '../controls/types.ts';
import type { RgbFrames } from '../src/frames.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}

const width = arg('width', 640);
const height = arg('height', 368);
const count = arg('frames', 12);
const runs = arg('runs', 10);

/** Deterministic frames: a moving diagonal gradient, a bright disc, a dark bar and mild noise. */
function syntheticFrames(): RgbFrames {
  const data = new Uint8Array(width * height * 3 * count);
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) / 256;
  for (let f = 0; f < count; f++) {
    const cx = width * (0.3 + 0.02 * f), cy = height * 0.5, r = height * 0.25;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = ((f * height + y) * width + x) * 3;
        let v = ((x + y + 4 * f) / (width + height)) * 160 + 40;
        if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) v = 220;
        if (x > width * 0.7 && x < width * 0.75) v = 30;
        const n = (rand() - 0.5) * 12;
        data[o] = Math.max(0, Math.min(255, v + n));
        data[o + 1] = Math.max(0, Math.min(255, v * 0.9 + n));
        data[o + 2] = Math.max(0, Math.min(255, v * 0.8 + n));
      }
    }
  }
  return { width, height, count, data };
}

async function main(): Promise<void> {
  const frames = syntheticFrames();
  const maskPng = await sharp({ create: { width: 320, height: 184, channels: 3, background: '#000' } })
    .composite([{ input: Buffer.from('<svg width="320" height="184"><circle cx="160" cy="92" r="60" fill="white"/></svg>'), top: 0, left: 0 }])
    .png()
    .toBuffer();
  const still = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#4080c0' } }).png().toBuffer();
  const b64 = (b: Buffer) => b.toString('base64');

  const cases: [string, () => Control][] = [
    ['passthrough', () => createControl('passthrough')],
    ['gray', () => createControl('gray')],
    ['edges', () => createControl('edges')],
    ['inpaint rect feather 8', () => createControl('inpaint', { mask: { kind: 'rect', box: [160, 92, 480, 276], feather: 8 } })],
    ['inpaint painted PNG', () => createControl('inpaint', { mask: { kind: 'painted', png: b64(maskPng) } })],
    ['inpaint moving box', () => createControl('inpaint', { mask: { kind: 'moving-box', from: [0, 0, 200, 200], to: [440, 168, 640, 368], frames: 81 } })],
    ['outpaint l+r 0.25', () => createControl('outpaint', { directions: ['left', 'right'], ratio: 0.25 })],
    ['layout bbox', () => createControl('layout', { from: [10, 10, 200, 200], to: [300, 100, 600, 350], frames: 81 })],
    ['extension first+last', () => createControl('extension', { first: b64(still), last: b64(still), chunks: 0 })],
    ['edges + outpaint', () => createControl('compose', { control: { id: 'edges' }, outpaint: { directions: ['left', 'right'], ratio: 0.25 } })],
    ['gray + inpaint + extension', () => createControl('compose', { control: { id: 'gray' }, inpaint: { mask: { kind: 'rect', box: [160, 92, 480, 276] } }, extension: { first: b64(still), chunks: 0 } })],
  ];

  const results: { control: string; medianMs: number; meanMs: number; minMs: number; cpuMedianMs: number; msPerFrame: number }[] = [];
  for (const [name, make] of cases) {
    const control = make();
    for (let i = 0; i < 2; i++) await control.process(frames); // warm-up: JIT, caches, decoded images
    const times: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await control.process(frames);
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    }
    times.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const cpuMedian = cpu[Math.floor(cpu.length / 2)];
    results.push({ control: name, medianMs: round(median), meanMs: round(mean), minMs: round(times[0]), cpuMedianMs: round(cpuMedian), msPerFrame: round(median / count) });
    await control.dispose?.();
  }

  console.log(`controls: ${width}×${height}, ${count} frames per chunk, ${runs} runs; ms per chunk (wall median / mean / min, CPU median)`);
  const w = Math.max(...results.map((r) => r.control.length));
  console.log(`${'control'.padEnd(w)}  median    mean     min     cpu  ms/frame`);
  for (const r of results) {
    console.log(`${r.control.padEnd(w)}  ${fmt(r.medianMs)}  ${fmt(r.meanMs)}  ${fmt(r.minMs)}  ${fmt(r.cpuMedianMs)}  ${fmt(r.msPerFrame)}`);
  }
  console.log(JSON.stringify({ bench: 'controls', width, height, frames: count, runs, node: process.version, results }));
}

const round = (v: number) => Math.round(v * 100) / 100;
const fmt = (v: number) => v.toFixed(2).padStart(6);

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
