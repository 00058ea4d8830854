import { describe, expect, it } from 'vitest';
import type { DepthConfig } from '../../../../src/model/depth/config.ts';
import { depthCacheShapes } from '../../../../src/model/depth/graph.ts';
import { DepthModel, depthClipForward } from '../../../../src/model/depth/model.ts';
import { depthWeightShapes } from '../../../../src/model/depth/weight-shapes.ts';
import { f32 } from '../../../../src/model/tensor.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';

// The widths of the two shrunk fixture copies the spec describes (developer and held-out), with
// fewer blocks so the graphs build in milliseconds.
const base = { depth: 4, layers: [0, 1, 2, 3], patchSize: 14, posGrid: 37, interpolateOffset: 0.1, motionHeads: 8, motionGroups: 32, temporalMaxLen: 32, inputSize: 56 };
const CONFIGS: [string, DepthConfig][] = [
  ['developer widths', { ...base, embedDim: 32, numHeads: 2, features: 32, outChannels: [16, 32, 64, 64] }],
  ['held-out widths', { ...base, embedDim: 48, numHeads: 3, features: 32, outChannels: [24, 48, 96, 64] }],
];
const SIZES: [number, number][] = [
  [56, 56],
  [56, 98],
  [98, 56],
];

describe('depth graph shapes', () => {
  for (const [name, cfg] of CONFIGS) {
    for (const [h, w] of SIZES) {
      it(`${name} at ${h}×${w}: depth at the net size, caches of the announced shapes, batch forward`, async () => {
        const weights = randomWeights(depthWeightShapes(cfg), 11);
        const model = await DepthModel.load(cfg, weights, h, w, { threads: 1 });
        const image = f32([1, 3, h, w], new Float32Array(3 * h * w).map((_, i) => Math.sin(i)));
        const first = await model.frame(image);
        const next = await model.frame(image, first.cache);
        await model.release();
        expect(first.depth.shape).toEqual([1, h, w]);
        expect(next.cache.map((c) => c.shape)).toEqual(depthCacheShapes(cfg, h, w));
        expect(Array.from(next.depth.data).every(Number.isFinite)).toBe(true);
        const clip = await depthClipForward(cfg, weights, f32([2, 3, h, w], new Float32Array(6 * h * w).map((_, i) => Math.cos(i))), { threads: 1 });
        expect(clip.shape).toEqual([2, h, w]);
      });
    }
  }
});
