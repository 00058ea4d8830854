/**
 * LoRA merging (src/model/lora/merge.ts): which checkpoint keys pair up (plain, PEFT
 * `base_model.model.` prefix, `.default` adapter names, LongLive's `generator_lora` wrapper),
 * the errors for orphaned halves and adapter-less files, and W + scale·B·A computed by the ORT
 * graph against a plain-JS matmul.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoraMerger, loraPairs } from '../../../../src/model/lora/merge.ts';
import { Xoshiro128 } from '../../../../src/model/prng.ts';
import { f32, type F32Tensor } from '../../../../src/model/tensor.ts';
import type { Checkpoint } from '../../../../src/model/weights/checkpoint.ts';

/** Only keys() and path are read by loraPairs. */
function ckpt(keys: string[], path = '/models/lora.pt'): Checkpoint {
  const no = () => {
    throw new Error('not used');
  };
  return { path, format: 'pth', keys: () => keys, has: (k) => keys.includes(k), shape: no, dtype: no, getF32: no, get: no, close: () => {} };
}

const byTarget = (pairs: ReturnType<typeof loraPairs>) => Object.fromEntries(pairs.map((p) => [p.target, { a: p.a, b: p.b }]));

describe('loraPairs', () => {
  it('pairs lora_A / lora_B per module and names the adapted weight', () => {
    const pairs = loraPairs(ckpt(['blocks.0.self_attn.q.lora_A.weight', 'blocks.0.self_attn.q.lora_B.weight']));
    expect(pairs).toEqual([{ target: 'blocks.0.self_attn.q.weight', a: 'blocks.0.self_attn.q.lora_A.weight', b: 'blocks.0.self_attn.q.lora_B.weight' }]);
  });

  it('strips the PEFT and wrapper prefixes and the adapter name, keeping the original keys for reading', () => {
    const keys = [
      'base_model.model.blocks.1.self_attn.k.lora_A.weight',
      'base_model.model.blocks.1.self_attn.k.lora_B.weight',
      'blocks.2.ffn.0.lora_A.default.weight',
      'blocks.2.ffn.0.lora_B.default.weight',
      'generator_lora.base_model.model.blocks.3.cross_attn.o.lora_A.default.weight',
      'generator_lora.base_model.model.blocks.3.cross_attn.o.lora_B.default.weight',
      'model.blocks.4.self_attn.v.lora_B.my_adapter_2.weight',
      'model.blocks.4.self_attn.v.lora_A.my_adapter_2.weight',
      'generator_lora.blocks.5.ffn.2.lora_A.weight',
      'generator_lora.blocks.5.ffn.2.lora_B.weight',
    ];
    expect(byTarget(loraPairs(ckpt(keys)))).toEqual({
      'blocks.1.self_attn.k.weight': { a: keys[0], b: keys[1] },
      'blocks.2.ffn.0.weight': { a: keys[2], b: keys[3] },
      'blocks.3.cross_attn.o.weight': { a: keys[4], b: keys[5] },
      'blocks.4.self_attn.v.weight': { a: keys[7], b: keys[6] },
      'blocks.5.ffn.2.weight': { a: keys[8], b: keys[9] },
    });
  });

  it('ignores keys that are not LoRA weights (base weights, biases, DoRA magnitudes, other tensors)', () => {
    const pairs = loraPairs(
      ckpt([
        'blocks.0.self_attn.q.weight',
        'blocks.0.self_attn.q.lora_A.bias',
        'blocks.0.self_attn.q.lora_magnitude_vector.default.weight',
        'blocks.0.self_attn.q.lora_A.weight',
        'blocks.0.self_attn.q.lora_B.weight',
        'step',
        'blocks.0.self_attn.q.lora_C.weight',
      ]),
    );
    expect(pairs.map((p) => p.target)).toEqual(['blocks.0.self_attn.q.weight']);
  });

  it('an orphaned half fails naming the file, the module and the missing half', () => {
    expect(() => loraPairs(ckpt(['blocks.0.q.lora_A.weight', 'blocks.0.q.lora_B.weight', 'blocks.1.k.lora_A.weight']))).toThrow(
      '/models/lora.pt: LoRA module "blocks.1.k" has lora_A but no lora_B',
    );
    expect(() => loraPairs(ckpt(['base_model.model.blocks.7.o.lora_B.default.weight']))).toThrow('/models/lora.pt: LoRA module "blocks.7.o" has lora_B but no lora_A');
  });

  it('a file with no adapters fails instead of merging nothing', () => {
    expect(() => loraPairs(ckpt(['blocks.0.q.weight', 'blocks.0.q.bias'], '/x/base.pt'))).toThrow('/x/base.pt: no LoRA weights (…lora_A.weight / …lora_B.weight) found');
    expect(() => loraPairs(ckpt([]))).toThrow(/no LoRA weights/);
  });

  it('targets are derived from the adapter names alone (the caller checks them against the base checkpoint)', () => {
    // merge.ts never sees the base state dict: a target the base lacks comes back as is, and
    // presets/longlive.ts rejects it ("LoRA adapts …, which is not a weight of the generator").
    expect(loraPairs(ckpt(['nowhere.lora_A.weight', 'nowhere.lora_B.weight']))[0]!.target).toBe('nowhere.weight');
  });
});

function randn(shape: number[], seed: number): F32Tensor {
  return f32(shape, new Xoshiro128(seed).fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))));
}

/** W + scale·(B·A) in float64. */
function mergeRef(w: F32Tensor, a: F32Tensor, b: F32Tensor, scale: number): number[] {
  const [out, inn] = w.shape as [number, number];
  const r = a.shape[0]!;
  const res: number[] = [];
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inn; i++) {
      let acc = 0;
      for (let k = 0; k < r; k++) acc += b.data[o * r + k]! * a.data[k * inn + i]!;
      res.push(w.data[o * inn + i]! + scale * acc);
    }
  return res;
}

describe('LoraMerger', () => {
  let merger: LoraMerger;
  beforeAll(async () => {
    merger = await LoraMerger.create();
  });
  afterAll(async () => merger?.release());

  it('computes W + scale·B·A like a JS matmul, for several shapes, ranks and scales', async () => {
    for (const [out, inn, r, scale] of [
      [5, 7, 3, 1],
      [4, 4, 1, 0.5],
      [3, 9, 4, -2],
      [6, 2, 2, 0],
    ] as const) {
      const w = randn([out, inn], out * 100 + inn);
      const a = randn([r, inn], 7 + r);
      const b = randn([out, r], 11 + r);
      const merged = await merger.merge(w, a, b, scale, 'blocks.0.q.weight');
      expect(merged.shape).toEqual([out, inn]);
      const ref = mergeRef(w, a, b, scale);
      ref.forEach((v, i) => expect(Math.abs(merged.data[i]! - v), `[${out}×${inn} r${r} s${scale}] element ${i}`).toBeLessThan(1e-5));
      if (scale === 0) expect(Array.from(merged.data)).toEqual(Array.from(w.data));
    }
  });

  it('B·A, not A·B or Bᵀ·Aᵀ: a rank-1 update is the outer product of B’s column and A’s row', async () => {
    const w = f32([2, 3], [0, 0, 0, 0, 0, 0]);
    const a = f32([1, 3], [1, 2, 3]);
    const b = f32([2, 1], [10, -1]);
    expect(Array.from((await merger.merge(w, a, b, 2, 'x')).data)).toEqual([20, 40, 60, -2, -4, -6]);
  });

  it('rejects adapters that do not fit the weight, naming the weight and all three shapes', async () => {
    const w = randn([4, 6], 1);
    const cases: [F32Tensor, F32Tensor][] = [
      [randn([2, 5], 2), randn([4, 2], 3)], // A's input width ≠ W's
      [randn([2, 6], 2), randn([3, 2], 3)], // B's output height ≠ W's
      [randn([2, 6], 2), randn([4, 3], 3)], // ranks differ
      [randn([12], 2), randn([4, 2], 3)], // A not a matrix
    ];
    for (const [a, b] of cases) {
      await expect(merger.merge(w, a, b, 1, 'blocks.3.ffn.0.weight')).rejects.toThrow(
        `LoRA for blocks.3.ffn.0.weight: A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}] do not fit the weight [4, 6]`,
      );
    }
    await expect(merger.merge(randn([24], 4), randn([2, 6], 2), randn([4, 2], 3), 1, 'flat')).rejects.toThrow(/do not fit the weight \[24\]/);
  });
});
