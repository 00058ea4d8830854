import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { safetensorsHeader, writeSafetensors } from '../../../../src/model/weights/safetensors-writer.ts';
import { SafetensorsFile } from '../../../../src/model/weights/safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'st-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeSafetensors', () => {
  it('writes a file the reader reads back: dtypes, shapes, values, metadata', () => {
    const path = join(dir, 'a', 'b', 'round.safetensors');
    const w = Float32Array.from([1.5, -2, 3.25, 0, 7, -0.125]);
    const ids = BigInt64Array.from([1n, -2n, 3n]);
    const half = Uint16Array.from([0x3c00, 0xc000]); // f16 1.0, -2.0
    writeSafetensors(
      path,
      [
        { name: 'layer.weight', dtype: 'F32', shape: [2, 3], data: w },
        { name: 'ids', dtype: 'I64', shape: [3], data: () => ids },
        { name: 'half', dtype: 'F16', shape: [2], data: half },
        { name: 'empty', dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
      ],
      { format: 'pt', note: 'hello' },
    );
    const f = new SafetensorsFile(path);
    try {
      expect(f.keys()).toEqual(['layer.weight', 'ids', 'half', 'empty']);
      expect(f.metadata).toEqual({ format: 'pt', note: 'hello' });
      expect(f.getF32('layer.weight')).toEqual({ dtype: 'float32', shape: [2, 3], data: w });
      expect(Array.from(f.get('ids').data as BigInt64Array)).toEqual([1n, -2n, 3n]);
      expect(Array.from(f.getF32('half').data)).toEqual([1, -2]);
      expect(f.entry('empty').shape).toEqual([0, 4]);
    } finally {
      f.close();
    }
  });

  it('pads the JSON header with spaces so the data block starts 8-byte aligned', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde']) {
      const { header } = safetensorsHeader([{ name, dtype: 'F32', shape: [1] }]);
      const n = Number(header.readBigUInt64LE(0));
      expect(n % 8).toBe(0);
      expect(header.length).toBe(8 + n);
      const text = header.subarray(8).toString('utf8');
      expect(JSON.parse(text)[name].data_offsets).toEqual([0, 4]);
      expect(text.trimEnd().length).toBeLessThanOrEqual(n);
    }
  });

  it('writes tensors in the given order with consecutive offsets', () => {
    const path = join(dir, 'order.safetensors');
    writeSafetensors(path, [
      { name: 'z', dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
      { name: 'a', dtype: 'F32', shape: [1], data: Float32Array.from([9]) },
    ]);
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    expect(header.z.data_offsets).toEqual([0, 3]);
    expect(header.a.data_offsets).toEqual([3, 7]);
    expect(Array.from(bytes.subarray(8 + n, 8 + n + 3))).toEqual([1, 2, 3]);
    expect(bytes.length).toBe(8 + n + 7);
  });

  it('rejects data whose size does not match the shape, naming the tensor, and leaves no file behind', () => {
    const path = join(dir, 'bad.safetensors');
    expect(() => writeSafetensors(path, [{ name: 'w', dtype: 'F32', shape: [2, 2], data: new Float32Array(3) }])).toThrow(
      /cannot write safetensors file .*bad\.safetensors: tensor "w" has 12 bytes of data, its shape \[2, 2\] F32 needs 16/,
    );
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('rejects duplicate names, the reserved name, bad shapes and non-string metadata', () => {
    expect(() => safetensorsHeader([{ name: 'a', dtype: 'F32', shape: [1] }, { name: 'a', dtype: 'F32', shape: [1] }])).toThrow(/tensor "a" given twice/);
    expect(() => safetensorsHeader([{ name: '__metadata__', dtype: 'F32', shape: [1] }])).toThrow(/invalid tensor name "__metadata__"/);
    expect(() => safetensorsHeader([{ name: 'a', dtype: 'F32', shape: [2, -1] }])).toThrow(/tensor "a" has invalid shape \[2, -1\]/);
    expect(() => safetensorsHeader([], { n: 3 as unknown as string })).toThrow(/metadata "n" must be a string/);
  });
});
