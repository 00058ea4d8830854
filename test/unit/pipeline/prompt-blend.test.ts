import { describe, expect, it } from 'vitest';
import { blendEmbeddings, linearBlend, normalizeWeights, parseWeightedPrompts, slerpBlend } from '../../../src/pipeline/prompt-blend.ts';
import { f32, type F32Tensor } from '../../../src/model/tensor.ts';

const rows = (...r: number[][]): F32Tensor => f32([r.length, r[0]!.length], r.flat());
const close = (t: F32Tensor, want: number[][]) => {
  expect(t.shape).toEqual([want.length, want[0]!.length]);
  Array.from(t.data).forEach((v, i) => expect(v).toBeCloseTo(want.flat()[i]!, 6));
};
const S = Math.SQRT1_2;

describe('linear prompt blend', () => {
  it('normalises weights to sum 1', () => {
    expect(normalizeWeights([1, 3])).toEqual([0.25, 0.75]);
    expect(() => normalizeWeights([0, 0])).toThrow(/sum to 0/);
  });

  it('rescales each token to the weighted mean of the input norms', () => {
    // (1,0) and (0,1), equal weights: mean (0.5, 0.5) has norm √½; target norm 1 → (√½, √½).
    close(linearBlend([{ embedding: rows([1, 0]), weight: 1 }, { embedding: rows([0, 1]), weight: 1 }]), [[S, S]]);
    // (2,0) w=3 and (0,4) w=1: mean (1.5, 1), norm √3.25; target 0.75·2 + 0.25·4 = 2.5.
    const k = 2.5 / Math.sqrt(3.25);
    close(linearBlend([{ embedding: rows([2, 0]), weight: 3 }, { embedding: rows([0, 4]), weight: 1 }]), [[1.5 * k, 1 * k]]);
  });

  it('blends three prompts token by token and keeps shared zero rows zero', () => {
    const a = rows([3, 0, 0], [0, 0, 0]);
    const b = rows([0, 3, 0], [0, 0, 0]);
    const c = rows([0, 0, 3], [0, 0, 0]);
    // Mean (1,1,1) has norm √3; target 3 → each component √3.
    const r = Math.sqrt(3);
    close(linearBlend([{ embedding: a, weight: 1 }, { embedding: b, weight: 1 }, { embedding: c, weight: 1 }]), [[r, r, r], [0, 0, 0]]);
  });

  it('with one weight 0 returns the other prompt unchanged', () => {
    close(linearBlend([{ embedding: rows([1, 2]), weight: 0 }, { embedding: rows([5, -1]), weight: 2 }]), [[5, -1]]);
  });

  it('rejects mismatched shapes and negative weights, naming the prompt', () => {
    expect(() => linearBlend([{ embedding: rows([1, 0]), weight: 1 }, { embedding: rows([1, 0, 0]), weight: 1 }])).toThrow(/prompt 1 has shape \[1, 3\]/);
    expect(() => linearBlend([{ embedding: rows([1, 0]), weight: -1 }])).toThrow(/prompt 0 has weight -1/);
  });
});

describe('slerp prompt blend', () => {
  it('moves along the great circle at constant angle', () => {
    close(slerpBlend(rows([1, 0]), rows([0, 1]), 0.5), [[S, S]]);
    // t = 1/3 of 90° is 30°: (cos 30°, sin 30°).
    close(slerpBlend(rows([1, 0]), rows([0, 1]), 1 / 3), [[Math.sqrt(3) / 2, 0.5]]);
    close(slerpBlend(rows([1, 0]), rows([0, 1]), 0), [[1, 0]]);
    close(slerpBlend(rows([1, 0]), rows([0, 1]), 1), [[0, 1]]);
  });

  it('interpolates the norm linearly: |(2,0) → (0,4)| at t=½ is 3 at 45°', () => {
    close(slerpBlend(rows([2, 0]), rows([0, 4]), 0.5), [[3 * S, 3 * S]]);
  });

  it('falls back to the linear rule for parallel tokens and for a zero (padding) token', () => {
    close(slerpBlend(rows([1, 0], [0, 0]), rows([2, 0], [0, 3]), 0.5), [[1.5, 0], [0, 1.5]]);
    close(slerpBlend(rows([0, 0]), rows([0, 3]), 1 / 3), [[0, 1]]);
  });

  it('rejects t outside [0, 1]', () => {
    expect(() => slerpBlend(rows([1, 0]), rows([0, 1]), 1.5)).toThrow(/t must be in \[0, 1\]/);
  });
});

describe('blendEmbeddings reads `interpolation`', () => {
  const a = rows([1, 0]);
  const b = rows([0, 1]);
  it('linear and slerp differ for the same weights (2:1)', () => {
    const items = [{ embedding: a, weight: 2 }, { embedding: b, weight: 1 }];
    // linear: (2/3, 1/3) rescaled to norm 1 = (2, 1)/√5; slerp: 30° = (√3/2, ½).
    close(blendEmbeddings(items, 'linear'), [[2 / Math.sqrt(5), 1 / Math.sqrt(5)]]);
    close(blendEmbeddings(items, 'slerp'), [[Math.sqrt(3) / 2, 0.5]]);
  });

  it('slerp with three prompts is a clear error; unknown names are rejected', () => {
    const three = [a, b, a].map((embedding) => ({ embedding, weight: 1 }));
    expect(() => blendEmbeddings(three, 'slerp')).toThrow(/exactly two prompts, got 3/);
    expect(() => blendEmbeddings(three, 'cubic' as never)).toThrow(/unknown interpolation "cubic"/);
  });
});

describe('parseWeightedPrompts (the session prompt parameter)', () => {
  it('reads `text:weight | text:weight`, weight 1 when absent', () => {
    expect(parseWeightedPrompts('a cat:0.7 | a dog : 0.3|a fox')).toEqual([
      { text: 'a cat', weight: 0.7 },
      { text: 'a dog', weight: 0.3 },
      { text: 'a fox', weight: 1 },
    ]);
  });

  it('keeps a time of day as text and treats an empty parameter as one empty prompt', () => {
    expect(parseWeightedPrompts('a clock at 10:30')).toEqual([{ text: 'a clock at 10:30', weight: 1 }]);
    expect(parseWeightedPrompts('  ')).toEqual([{ text: '', weight: 1 }]);
    expect(parseWeightedPrompts('a | | b:2')).toEqual([{ text: 'a', weight: 1 }, { text: 'b', weight: 2 }]);
  });

  it('rejects a negative weight, naming the prompt', () => {
    expect(() => parseWeightedPrompts('rain:-1')).toThrow(/prompt "rain": weight -1 must be ≥ 0/);
  });
});
