import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingWeightsError, type AnnotatorWeights } from '../../../controls/annotator-weights.ts';
import { DepthControl } from '../../../controls/depth.ts';
import { createControl, listControls } from '../../../controls/registry.ts';
import { ScribbleControl } from '../../../controls/scribble.ts';
import { annotatorWorkerSpec, DeferredThreadedControl, ThreadedControl } from '../../../controls/threaded-control.ts';
import { modelsFolderAnnotatorWeights } from '../../../src/cli/annotator-weights.ts';
import { registryControls } from '../../../src/cli/serve.ts';
import { getPreset } from '../../../src/presets/catalog.ts';
import { presetFilePath } from '../../../src/weight-store/index.ts';
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

/** Weights at fixed paths, recording which roles were asked for. */
function fixedWeights(paths: Partial<Record<'depth' | 'scribble', string>>, asked: string[] = []): AnnotatorWeights {
  return {
    path(role) {
      asked.push(role);
      const p = paths[role];
      if (!p) throw new MissingWeightsError(role, `/nowhere/${role}.pth`, 'Test remedy.');
      return p;
    },
  };
}

describe('annotator controls', () => {
  let modelsDir: string;
  let weights: AnnotatorWeights;
  beforeAll(() => {
    modelsDir = mkdtempSync(join(tmpdir(), 'vace-models-'));
    weights = modelsFolderAnnotatorWeights(modelsDir);
  });
  afterAll(() => {
    rmSync(modelsDir, { recursive: true, force: true });
  });

  it('are listed as needing weights', () => {
    const list = listControls();
    expect(list.find((c) => c.id === 'depth')?.needsWeights).toBe(true);
    expect(list.find((c) => c.id === 'scribble')?.needsWeights).toBe(true);
  });

  it('a missing depth checkpoint names the file and the download command', () => {
    expect(() => createControl('depth', undefined, { weights })).toThrow(
      /depth control needs its weights.*Video-Depth-Anything-Small\/video_depth_anything_vits\.pth does not exist.*vace-live models download longlive-1\.3b/,
    );
  });

  it('a missing scribble checkpoint names the file and the download command', () => {
    expect(() => createControl('scribble', undefined, { weights })).toThrow(
      /scribble control needs its weights.*VACE-Annotators\/scribble\/anime_style\/netG_A_latest\.pth does not exist.*vace-live models download longlive-1\.3b/,
    );
  });

  it('the models folder gives the checkpoint path once the file is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vace-models-'));
    try {
      const expected = presetFilePath(getPreset('longlive-1.3b'), 'scribble', { modelsDir: dir });
      expect(expected.startsWith(dir)).toBe(true);
      mkdirSync(dirname(expected), { recursive: true });
      writeFileSync(expected, 'not read here');
      expect(modelsFolderAnnotatorWeights(dir).path('scribble')).toBe(expected);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an annotator built without a weights resolver says so', () => {
    expect(() => createControl('depth')).toThrow("control 'depth' needs its weights, and no AnnotatorWeights were given to createControl");
    expect(() => createControl('compose', { control: { id: 'scribble' } })).toThrow(/control 'scribble' needs its weights/);
  });

  it('the weight-free controls keep working when the annotator weights are missing', async () => {
    expect(() => createControl('depth', undefined, { weights })).toThrow(MissingWeightsError);
    const out = await createControl('gray').process(frames(6, 4, 2));
    expect(out.frames.data.length).toBe(6 * 4 * 3 * 2);
    expect(isGray(out.frames)).toBe(true);
  });

  it('rejects bad depth options with the field', () => {
    const asked: string[] = [];
    expect(() => createControl('depth', { smoothing: 1 }, { weights: fixedWeights({}, asked) })).toThrow(/control 'depth'.*smoothing/);
    expect(asked).toEqual([]); // options are checked before any weights are looked up
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
  it('depth and scribble hold at most two unfinished chunks; one more is rejected, the others still run', async () => {
    const depth = new DepthControl({ weights: randomWeights(depthWeightShapes(TINY_DEPTH), 3), config: TINY_DEPTH });
    const scribble = new ScribbleControl({ weights: randomWeights(scribbleWeightShapes(TINY_SCRIBBLE), 5) });
    for (const [c, name] of [[depth, 'depth'], [scribble, 'scribble']] as const) {
      const first = c.process(frames(16, 12, 2, 1));
      const second = c.process(frames(16, 12, 2, 2));
      await expect(c.process(frames(16, 12, 2, 3))).rejects.toThrow(`${name} control: 2 chunks are already queued; wait for one before sending the next`);
      await expect(first).resolves.toMatchObject({ frames: { width: 16, height: 12, count: 2 } });
      await expect(second).resolves.toMatchObject({ frames: { width: 16, height: 12, count: 2 } });
      await expect(c.process(frames(16, 12, 2, 4))).resolves.toBeDefined(); // room again
      await c.dispose();
    }
  });

  it('a worker spec checks options and finds the checkpoint on this thread, building nothing', () => {
    const asked: string[] = [];
    const w = fixedWeights({ depth: '/m/depth.pth', scribble: '/m/scribble.pth' }, asked);
    expect(annotatorWorkerSpec('depth', w, { smoothing: 0.5 })).toEqual({ id: 'depth', options: { smoothing: 0.5, weightsPath: '/m/depth.pth' } });
    expect(annotatorWorkerSpec('scribble', w)).toEqual({ id: 'scribble', options: { weightsPath: '/m/scribble.pth' } });
    expect(asked).toEqual(['depth', 'scribble']);
    expect(() => annotatorWorkerSpec('depth', w, { smoothing: 2 })).toThrow(/invalid options for control 'depth': smoothing/);
    expect(() => annotatorWorkerSpec('scribble', w, { extra: 1 })).toThrow(/invalid options for control 'scribble'/);
    expect(() => annotatorWorkerSpec('depth', fixedWeights({}))).toThrow(/depth control needs its weights, and \/nowhere\/depth\.pth does not exist/);
    expect(() => annotatorWorkerSpec('gray', w)).toThrow("control 'gray' needs no weights and does not run on a worker thread");
    expect(() => annotatorWorkerSpec('sepia', w)).toThrow(/unknown control 'sepia'/);
  });

  it('a threaded depth control keeps its held range across chunks, and reset() reaches the worker before the next chunk', async () => {
    const path = join(modelsDir, 'tiny-depth.safetensors');
    writeRandomSafetensors(path, depthWeightShapes(TINY_DEPTH), 3);
    const options = { weightsPath: path, config: TINY_DEPTH, smoothing: 0.9, threads: 1 };
    const threaded = await ThreadedControl.start({ id: 'depth', options });
    const fresh = new DepthControl(options);
    try {
      await threaded.process(frames(30, 20, 4, 1));
      const second = await threaded.process(frames(30, 20, 4, 2));
      const alone = await fresh.process(frames(30, 20, 4, 2));
      expect(Buffer.from(second.frames.data).equals(Buffer.from(alone.frames.data))).toBe(false);
      threaded.reset();
      const afterReset = await threaded.process(frames(30, 20, 4, 2));
      expect(Buffer.from(afterReset.frames.data).equals(Buffer.from(alone.frames.data))).toBe(true);
      // Exactly once: the chunk after that continues from the new range, like the in-thread control.
      const [next, freshNext] = await Promise.all([threaded.process(frames(30, 20, 4, 1)), fresh.process(frames(30, 20, 4, 1))]);
      expect(Buffer.from(next.frames.data).equals(Buffer.from(freshNext.frames.data))).toBe(true);
    } finally {
      await threaded.dispose();
      await fresh.dispose();
    }
  });

  it('a threaded control rejects a chunk beyond the two it may have outstanding', async () => {
    const path = join(modelsDir, 'tiny-scribble-bound.safetensors');
    writeRandomSafetensors(path, scribbleWeightShapes(TINY_SCRIBBLE), 5);
    const threaded = await ThreadedControl.start({ id: 'scribble', options: { weightsPath: path, threads: 1 } });
    try {
      const sent = [threaded.process(frames(16, 12, 1, 1)), threaded.process(frames(16, 12, 1, 2))];
      await expect(threaded.process(frames(16, 12, 1, 3))).rejects.toThrow(/scribble control worker: 2 calls are already waiting for the worker/);
      for (const p of sent) await expect(p).resolves.toMatchObject({ frames: { width: 16, height: 12, count: 1 } });
    } finally {
      await threaded.dispose();
    }
  });
  it('live-server controls: missing weights fail at once, annotators run on a worker, the rest in this thread', async () => {
    expect(() => registryControls(weights).create('depth')).toThrow(/depth control needs its weights.*vace-live models download longlive-1\.3b/);
    expect(registryControls(weights).create('gray')).not.toBeInstanceOf(DeferredThreadedControl);
    const path = join(modelsDir, 'tiny-scribble-live.safetensors');
    writeRandomSafetensors(path, scribbleWeightShapes(TINY_SCRIBBLE), 5);
    const live = registryControls(fixedWeights({ scribble: path })).create('scribble');
    expect(live).toBeInstanceOf(DeferredThreadedControl);
    try {
      const local = new ScribbleControl({ weightsPath: path });
      const input = frames(16, 12, 1);
      const [a, b] = await Promise.all([local.process(input), live.process(input)]);
      expect(Buffer.from(b.frames.data).equals(Buffer.from(a.frames.data))).toBe(true);
      await local.dispose();
    } finally {
      await live.dispose?.();
    }
  });
});
