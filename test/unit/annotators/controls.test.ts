import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthControl } from '../../../controls/depth.ts';
import { createControl, listControls } from '../../../controls/registry.ts';
import { ScribbleControl } from '../../../controls/scribble.ts';
import { ThreadedControl } from '../../../controls/threaded-control.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import type { DepthConfig } from '../../../src/model/depth/config.ts';
import { depthWeightShapes } from '../../../src/model/depth/weight-shapes.ts';
import { scribbleWeightShapes } from '../../../src/model/scribble/weight-shapes.ts';
import { randomWeights, writeRandomSafetensors } from '../../../src/model/weights/random.ts';

/** A miniature Video-Depth-Anything (same tree, tiny widths) so the control runs in milliseconds. */
const TINY_DEPTH: DepthConfig = {
  embedDim: 32,
  numHeads: 2,
  depth: 4,
  layers: [0, 1, 2, 3],
  patchSize: 14,
  posGrid: 37,
  interpolateOffset: 0.1,
  features: 32,
  outChannels: [16, 32, 32, 32],
  motionHeads: 8,
  motionGroups: 32,
  temporalMaxLen: 32,
  inputSize: 28,
};
const TINY_SCRIBBLE = { widths: [4, 8, 16] as [number, number, number], residualBlocks: 1 };

function frames(width: number, height: number, count: number, seed = 1): RgbFrames {
  const data = new Uint8Array(width * height * 3 * count);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { width, height, count, data };
}

function isGray(f: RgbFrames): boolean {
  for (let i = 0; i < f.data.length; i += 3) if (f.data[i] !== f.data[i + 1] || f.data[i] !== f.data[i + 2]) return false;
  return true;
}

function frameRange(f: RgbFrames, start: number, end: number): [number, number] {
  const size = f.width * f.height * 3;
  let lo = 255;
  let hi = 0;
  for (let i = start * size; i < end * size; i++) {
    lo = Math.min(lo, f.data[i]!);
    hi = Math.max(hi, f.data[i]!);
  }
  return [lo, hi];
}

describe('annotator controls', () => {
  let modelsDir: string;
  const savedEnv = process.env.VACE_MODELS_DIR;
  beforeAll(() => {
    modelsDir = mkdtempSync(join(tmpdir(), 'vace-models-'));
    process.env.VACE_MODELS_DIR = modelsDir;
  });
  afterAll(() => {
    if (savedEnv === undefined) delete process.env.VACE_MODELS_DIR;
    else process.env.VACE_MODELS_DIR = savedEnv;
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('are listed as needing weights', () => {
    const list = listControls();
    expect(list.find((c) => c.id === 'depth')?.needsWeights).toBe(true);
    expect(list.find((c) => c.id === 'scribble')?.needsWeights).toBe(true);
  });

  it('a missing depth checkpoint names the file and the download command', () => {
    expect(() => createControl('depth')).toThrow(/depth control needs its weights.*Video-Depth-Anything-Small\/video_depth_anything_vits\.pth does not exist.*vace-live models download longlive-1\.3b/);
  });

  it('a missing scribble checkpoint names the file and the download command', () => {
    expect(() => createControl('scribble')).toThrow(/scribble control needs its weights.*VACE-Annotators\/scribble\/anime_style\/netG_A_latest\.pth does not exist.*vace-live models download longlive-1\.3b/);
  });

  it('the weight-free controls keep working when the annotator weights are missing', async () => {
    expect(() => createControl('depth')).toThrow();
    const out = await createControl('gray').process(frames(6, 4, 2));
    expect(out.frames.data.length).toBe(6 * 4 * 3 * 2);
    expect(isGray(out.frames)).toBe(true);
  });

  it('rejects bad depth options with the field', () => {
    expect(() => createControl('depth', { smoothing: 1 })).toThrow(/control 'depth'.*smoothing/);
    expect(() => createControl('depth', { framesPerCall: 0 })).toThrow(/control 'depth'.*framesPerCall/);
    expect(() => createControl('depth', { inputSize: 300 })).toThrow(/control 'depth'.*inputSize/);
  });

  it('depth: gray frames of the input size; upstream mode spans 0…255 in every 4-frame call', async () => {
    const c = new DepthControl({ weights: randomWeights(depthWeightShapes(TINY_DEPTH), 3), config: TINY_DEPTH, stabilise: false });
    const input = frames(30, 20, 6); // non-square, 4 + 2 frames
    const out = await c.process(input);
    expect([out.frames.width, out.frames.height, out.frames.count]).toEqual([30, 20, 6]);
    expect(isGray(out.frames)).toBe(true);
    expect(frameRange(out.frames, 0, 4)).toEqual([0, 255]);
    expect(frameRange(out.frames, 4, 6)).toEqual([0, 255]);
    await c.dispose();
  });

  it('depth: a smaller inputSize runs the net at a smaller multiple of 14 and still fills the frame', async () => {
    const c = new DepthControl({ weights: randomWeights(depthWeightShapes(TINY_DEPTH), 3), config: TINY_DEPTH, inputSize: 14, stabilise: false });
    const out = await c.process(frames(30, 20, 2));
    expect([out.frames.width, out.frames.height, out.frames.count]).toEqual([30, 20, 2]);
    expect(frameRange(out.frames, 0, 2)).toEqual([0, 255]);
    await c.dispose();
    expect(() => new DepthControl({ weights: randomWeights(depthWeightShapes(TINY_DEPTH), 3), config: TINY_DEPTH, inputSize: 20 })).toThrow(/multiple of 14/);
  });

  it('depth: the held range carries over chunks and reset() forgets it', async () => {
    const w = randomWeights(depthWeightShapes(TINY_DEPTH), 3);
    const held = new DepthControl({ weights: w, config: TINY_DEPTH, smoothing: 0.9 });
    const fresh = new DepthControl({ weights: w, config: TINY_DEPTH, smoothing: 0.9 });
    await held.process(frames(30, 20, 4, 1));
    const second = await held.process(frames(30, 20, 4, 2));
    const alone = await fresh.process(frames(30, 20, 4, 2));
    expect(Buffer.compare(Buffer.from(second.frames.data), Buffer.from(alone.frames.data))).not.toBe(0);
    held.reset();
    const afterReset = await held.process(frames(30, 20, 4, 2));
    expect(Buffer.from(afterReset.frames.data).equals(Buffer.from(alone.frames.data))).toBe(true);
    await held.dispose();
    await fresh.dispose();
  });

  it('scribble: gray frames of the input size, also when the sides are not multiples of 4', async () => {
    const c = new ScribbleControl({ weights: randomWeights(scribbleWeightShapes(TINY_SCRIBBLE), 5) });
    const out = await c.process(frames(14, 10, 3));
    expect([out.frames.width, out.frames.height, out.frames.count]).toEqual([14, 10, 3]);
    expect(isGray(out.frames)).toBe(true);
    await c.dispose();
  });

  it('a threaded scribble control gives the same frames as the in-thread one, and the missing-file error crosses the thread', async () => {
    const shapes = scribbleWeightShapes(TINY_SCRIBBLE);
    const path = join(modelsDir, 'tiny-scribble.safetensors');
    writeRandomSafetensors(path, shapes, 5);
    const input = frames(16, 12, 2);
    const local = new ScribbleControl({ weightsPath: path });
    const threaded = await ThreadedControl.start({ id: 'scribble', options: { weightsPath: path } });
    const [a, b] = await Promise.all([local.process(input), threaded.process(input)]);
    expect(Buffer.from(b.frames.data).equals(Buffer.from(a.frames.data))).toBe(true);
    await threaded.dispose();
    await local.dispose();
    await expect(ThreadedControl.start({ id: 'depth', options: { weightsPath: join(modelsDir, 'nope.pth') } })).rejects.toThrow(/nope\.pth does not exist/);
  });
});
