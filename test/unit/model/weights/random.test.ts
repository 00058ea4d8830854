import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { f32ToBf16 } from '../../../../src/model/weights/dtype.ts';
import { randomTensor, randomTensorBf16, randomWeights, writeRandomSafetensors } from '../../../../src/model/weights/random.ts';
import { SafetensorsFile } from '../../../../src/model/weights/safetensors.ts';

describe('random weights', () => {
  it('randomTensorBf16 is randomTensor rounded to bf16, also across its generation slices', () => {
    const shape = [3, 1_500_001]; // > one 4 Mi-element slice, odd length
    expect(Array.from(randomTensorBf16(4, 'blocks.0.w.weight', shape).subarray(4_194_000, 4_194_500))).toEqual(
      Array.from(f32ToBf16(randomTensor(4, 'blocks.0.w.weight', shape).data).subarray(4_194_000, 4_194_500)),
    );
    const small = [5, 7];
    expect(Array.from(randomTensorBf16(4, 'norm.weight', small))).toEqual(Array.from(f32ToBf16(randomTensor(4, 'norm.weight', small).data)));
  });

  it('writeRandomSafetensors writes F32 values randomWeights returns, or BF16 rounding of them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vace-random-'));
    try {
      const spec = new Map([
        ['a.weight', [4, 6]],
        ['a.norm.weight', [6]],
      ] as const);
      writeRandomSafetensors(join(dir, 'f32.safetensors'), spec, 9);
      writeRandomSafetensors(join(dir, 'bf16.safetensors'), spec, 9, { dtype: 'BF16', metadata: { what: 'test' } });
      const f = new SafetensorsFile(join(dir, 'f32.safetensors'));
      const b = new SafetensorsFile(join(dir, 'bf16.safetensors'));
      const ref = randomWeights(spec, 9);
      for (const k of spec.keys()) {
        expect(Array.from(f.getF32(k).data)).toEqual(Array.from(ref.getF32(k).data));
        expect(b.entry(k).dtype).toBe('BF16');
        expect(Array.from(new Uint16Array(b.bytes(k).buffer, 0, b.entry(k).byteLength / 2))).toEqual(Array.from(f32ToBf16(ref.getF32(k).data)));
      }
      expect(b.metadata).toEqual({ what: 'test' });
      f.close();
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
