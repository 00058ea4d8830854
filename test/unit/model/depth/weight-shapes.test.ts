import { describe, expect, it } from 'vitest';
import { VDA_SMALL } from '../../../../src/model/depth/config.ts';
import { depthWeightShapes } from '../../../../src/model/depth/weight-shapes.ts';
import { scribbleWeightShapes } from '../../../../src/model/scribble/weight-shapes.ts';

const count = (m: Map<string, number[]>) => [...m.values()].reduce((s, sh) => s + sh.reduce((a, b) => a * b, 1), 0);

describe('annotator weight shapes', () => {
  it('Video-Depth-Anything-Small has 351 tensors and 29,080,193 values (the released checkpoint, strict load)', () => {
    const m = depthWeightShapes(VDA_SMALL);
    expect(m.size).toBe(351);
    expect(count(m)).toBe(29_080_193);
  });
  it('ContourInference keeps InstanceNorms out of the state dict: 24 tensors for 3 residual blocks', () => {
    const m = scribbleWeightShapes({ widths: [64, 128, 256], residualBlocks: 3 });
    expect(m.size).toBe(24);
    expect(m.get('model3.0.weight')).toEqual([256, 128, 3, 3]);
  });
});
