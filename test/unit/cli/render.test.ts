/**
 * `vace-live render` end to end: a generated clip through the demo preset to an MP4 that ffprobe
 * reads, frame accounting with a stand-in generator (order, padding dropped), and the one-line
 * errors for bad input.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRenderCommand } from '../../../src/cli/render.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import type { ChunkGenerator, ChunkInput } from '../../../src/pipeline/generator-types.ts';
import { demoConfig } from '../../../src/presets/demo.ts';
import { renderVideo } from '../../../src/render/pipeline.ts';
import { probeVideo } from '../../../src/render/probe.ts';
import { readVideoFrames } from '../../../src/render/video-reader.ts';
import { captureIO, makeClip, probe, runMain } from '../../support/cli-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-render-'));
const modelsDir = join(dir, 'models');
const clip = join(dir, 'testsrc.mp4');

beforeAll(() => {
  makeClip(clip, 'testsrc=size=256x256:rate=12', 2); // 24 frames
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vace-live render on the demo preset', () => {
  it('renders a 2-second clip with the gray control to an MP4 ffprobe reads: model size, input rate, input frames − decoder warm-up', async () => {
    const input = probe(clip);
    expect(input.frames).toBe(24);
    const out = join(dir, 'gray.mp4');
    const io = captureIO();
    const summary = await runRenderCommand(['--input', clip, '--prompt', 'a neon city', '--control', 'gray', '--seed', '3', '--models-dir', modelsDir, '--device', 'cpu', '--out', out], io);
    const cfg = demoConfig();
    const warmup = cfg.tae.frames_to_trim;
    const got = probe(out);
    expect(got).toMatchObject({ width: cfg.latent.width * 8, height: cfg.latent.height * 8, frames: input.frames - warmup, rate: input.rate, codec: 'h264', pixFmt: 'yuv420p' });
    expect(summary).toMatchObject({ framesIn: input.frames, framesOut: input.frames - warmup, warmupFrames: warmup, chunks: Math.ceil(input.frames / (cfg.latent.frames * 4)) });
    expect(summary!.msPerChunk).toHaveLength(summary!.chunks);
    // The log says plainly that the demo output is abstract; the summary states the frame loss.
    expect(io.err()).toMatch(/RANDOM weights/);
    expect(io.err()).toMatch(/control gray/);
    expect(io.out()).toContain(`${input.frames - warmup} frames = ${input.frames} − ${warmup}`);
    expect(io.out()).toMatch(/median \d+ ms, p90 \d+ ms/);
  }, 240_000);
});

/** Returns each chunk's input frames, minus `trim` at the start of the first chunk after a reset (like the TAE decoder). */
class EchoGenerator implements ChunkGenerator {
  readonly id = 'echo';
  readonly seen: ChunkInput[] = [];
  #fresh = true;
  constructor(readonly chunk: number, readonly trim: number) {}
  outputSize(width: number, height: number) {
    return { width, height };
  }
  framesForNextChunk() {
    return this.chunk;
  }
  async generate(input: ChunkInput): Promise<RgbFrames> {
    this.seen.push(input);
    const drop = this.#fresh ? this.trim : 0;
    this.#fresh = false;
    const { width, height, count, data } = input.frames;
    const bytes = width * height * 3;
    return { width, height, count: count - drop, data: data.slice(drop * bytes) };
  }
  reset() {
    this.#fresh = true;
  }
  async dispose() {}
}

async function meanLevels(path: string, w: number, h: number): Promise<number[]> {
  const levels: number[] = [];
  for await (const f of readVideoFrames(path, w, h)) {
    let s = 0;
    for (let i = 0; i < f.length; i++) s += f[i]!;
    levels.push(s / f.length);
  }
  return levels;
}

describe('renderVideo frame accounting', () => {
  it('pads the last partial chunk, drops the padding from the output and keeps frame order', async () => {
    // 20 frames whose brightness encodes their index: chunks of 12 → 12 + (8 real + 4 padding).
    const input = join(dir, 'ramp.mp4');
    makeClip(input, "color=black:size=64x64:rate=10,format=gray,geq=lum='16+N*10'", 2);
    const levelsIn = await meanLevels(input, 64, 64);
    expect(levelsIn).toHaveLength(20);
    const gen = new EchoGenerator(12, 3);
    const out = join(dir, 'ramp-out.mp4');
    const s = await renderVideo({ input, out, generator: gen, width: 64, height: 64, params: { prompt: 'x', seed: 1, contextScale: 1 } });
    expect(s).toMatchObject({ framesIn: 20, framesOut: 17, paddingFrames: 4, warmupFrames: 3, chunks: 2, chunkFrames: [12, 12] });
    // The padded chunk's last frames repeat the last real frame.
    const last = gen.seen[1]!.frames;
    const bytes = 64 * 64 * 3;
    expect(last.data.subarray(11 * bytes, 12 * bytes)).toEqual(last.data.subarray(7 * bytes, 8 * bytes));
    const levelsOut = await meanLevels(out, 64, 64);
    expect(levelsOut).toHaveLength(17);
    // Output frame i is input frame i + 3 (the warm-up trims the start), through two lossy encodes.
    levelsOut.forEach((v, i) => expect(Math.abs(v - levelsIn[i + 3]!)).toBeLessThan(3));
    expect((await probeVideo(out)).frameRate).toEqual({ num: 10, den: 1 });
  }, 60_000);

  it('gives the first-frame anchor to the first chunk only and the control output to every chunk', async () => {
    const gen = new EchoGenerator(12, 3);
    const firstFrame = { width: 2, height: 2, data: new Uint8Array(12) };
    let processed = 0;
    const control = {
      id: 'probe',
      needsWeights: false,
      process: (f: RgbFrames) => (processed++, { frames: f }),
      reset: () => {},
    };
    await renderVideo({ input: clip, out: join(dir, 'anchor.mp4'), generator: gen, width: 64, height: 64, control, firstFrame, params: { prompt: 'x', seed: 1, contextScale: 1 } });
    expect(gen.seen.map((c) => c.firstFrame)).toEqual([firstFrame, undefined]);
    expect(processed).toBe(2);
    expect(gen.seen.every((c) => c.control !== undefined)).toBe(true);
  }, 60_000);

  it('removes the half-written output when the generator fails', async () => {
    const gen = new EchoGenerator(12, 3);
    gen.generate = async () => {
      throw new Error('boom');
    };
    const out = join(dir, 'failed.mp4');
    await expect(renderVideo({ input: clip, out, generator: gen, width: 64, height: 64, params: { prompt: 'x', seed: 1, contextScale: 1 } })).rejects.toThrow('boom');
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});

describe('vace-live render bad input', () => {
  it('a missing input file is one clear line and exit code 1', () => {
    const r = runMain(['render', '--input', join(dir, 'nope.mp4'), '--prompt', 'x', '--out', join(dir, 'o.mp4')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`vace-live render: --input: file not found: ${join(dir, 'nope.mp4')}`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('an unknown control is one clear line naming the choices and exit code 1', () => {
    const r = runMain(['render', '--input', clip, '--prompt', 'x', '--control', 'sparkles', '--out', join(dir, 'o.mp4')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^vace-live render: unknown control "sparkles" \(choose depth, scribble, gray, edges, passthrough/);
  }, 120_000);

  it('a corrupt reference image and a file that is not a video name the file', async () => {
    const bad = join(dir, 'bad.png');
    (await import('node:fs')).writeFileSync(bad, 'not an image');
    const io = captureIO();
    await expect(runRenderCommand(['--input', clip, '--prompt', 'x', '--ref', bad, '--out', join(dir, 'o.mp4')], io)).rejects.toThrow(`--ref: cannot decode reference image ${bad}`);
    await expect(runRenderCommand(['--input', bad, '--prompt', 'x', '--out', join(dir, 'o.mp4')], io)).rejects.toThrow(bad);
  }, 60_000);
});
