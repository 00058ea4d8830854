/**
 * safetensorsWeights (src/model/weights/reader.ts) over a file written with the project's
 * safetensors writer: has / shape / getF32 (half floats widened exactly), and f32Location — the
 * file offset graph builders point external initializers at — pointing at the real float32
 * bytes, and absent for every other storage type.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { safetensorsWeights } from '../../../../src/model/weights/reader.ts';
import { SafetensorsFile } from '../../../../src/model/weights/safetensors.ts';
import { writeSafetensors } from '../../../../src/model/weights/safetensors-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-reader-'));
const path = join(dir, 'w.safetensors');

const f32a = Float32Array.from({ length: 6 }, (_, i) => i * 0.25 - 1); // [2, 3]
const f32b = Float32Array.of(3.5, -7, 1e-3); // [3], after a non-4-byte-aligned tensor
const f16 = Uint16Array.of(0x3c00, 0xc000, 0x3555, 0x0001); // 1, −2, 0.333251953125, 2^−24
const bf16 = Uint16Array.of(0x3f80, 0x4049, 0xbf00, 0x7f80); // 1, 3.140625, −0.5, ∞
const f64 = Float64Array.of(0.1, -2.5);
const i64 = BigInt64Array.of(5n, -6n);
const u8 = Uint8Array.of(1, 2, 3);

writeSafetensors(
  path,
  [
    { name: 'f16', dtype: 'F16', shape: [2, 2], data: f16 },
    { name: 'u8', dtype: 'U8', shape: [3], data: u8 },
    { name: 'blocks.0.w', dtype: 'F32', shape: [2, 3], data: f32a },
    { name: 'bf16', dtype: 'BF16', shape: [4], data: bf16 },
    { name: 'bias', dtype: 'F32', shape: [3], data: () => f32b },
    { name: 'f64', dtype: 'F64', shape: [2], data: f64 },
    { name: 'i64', dtype: 'I64', shape: [2], data: i64 },
    { name: 'scalar', dtype: 'F32', shape: [], data: Float32Array.of(42) },
  ],
  { note: 'reader test' },
);
const file = new SafetensorsFile(path);
const reader = safetensorsWeights(file);
afterAll(() => {
  file.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('safetensorsWeights', () => {
  it('names the file as its path', () => {
    expect(reader.path).toBe(path);
  });

  it('has / shape follow the header, and unknown names fail naming the file and the tensor', () => {
    expect(['blocks.0.w', 'bias', 'f16', 'bf16', 'f64', 'i64', 'u8', 'scalar'].every((n) => reader.has(n))).toBe(true);
    expect(reader.has('__metadata__')).toBe(false);
    expect(reader.has('blocks.0')).toBe(false);
    expect(reader.shape('blocks.0.w')).toEqual([2, 3]);
    expect(reader.shape('f16')).toEqual([2, 2]);
    expect(reader.shape('scalar')).toEqual([]);
    expect(() => reader.shape('missing')).toThrow(`${path}: no tensor named "missing"`);
    expect(() => reader.getF32('missing')).toThrow(`${path}: no tensor named "missing"`);
    expect(() => reader.f32Location!('missing')).toThrow(`${path}: no tensor named "missing"`);
  });

  it('getF32 returns float32 values with the stored shape; F16, BF16 widened exactly, F64 narrowed', () => {
    const a = reader.getF32('blocks.0.w');
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual(Array.from(f32a));
    expect(Array.from(reader.getF32('bias').data)).toEqual(Array.from(f32b));
    expect(Array.from(reader.getF32('f16').data)).toEqual([1, -2, 0.333251953125, 2 ** -24]);
    expect(reader.getF32('f16').shape).toEqual([2, 2]);
    expect(Array.from(reader.getF32('bf16').data)).toEqual([1, 3.140625, -0.5, Infinity]);
    expect(Array.from(reader.getF32('f64').data)).toEqual([Math.fround(0.1), -2.5]);
    expect(Array.from(reader.getF32('scalar').data)).toEqual([42]);
  });

  it('getF32Rows reads a slice of rows, widened like getF32, and refuses rows outside the tensor', () => {
    expect(Array.from(reader.getF32Rows!('blocks.0.w', 1, 1))).toEqual(Array.from(f32a.subarray(3, 6)));
    expect(Array.from(reader.getF32Rows!('blocks.0.w', 0, 2))).toEqual(Array.from(f32a));
    expect(Array.from(reader.getF32Rows!('f16', 1, 1))).toEqual([0.333251953125, 2 ** -24]);
    expect(Array.from(reader.getF32Rows!('bf16', 2, 2))).toEqual([-0.5, Infinity]);
    expect(reader.getF32Rows!('blocks.0.w', 2, 0).length).toBe(0);
    expect(() => reader.getF32Rows!('blocks.0.w', 1, 2)).toThrow(`${path}: rows [1, 3) of tensor "blocks.0.w" are outside [0, 2)`);
    expect(() => reader.getF32Rows!('scalar', 0, 1)).toThrow(/"scalar" is a scalar; it has no rows/);
    expect(() => reader.getF32Rows!('i64', 0, 1)).toThrow(/dtype I64, expected a floating type/);
  });

  it('getF32 of an integer tensor fails naming the file, tensor and dtype', () => {
    expect(() => reader.getF32('i64')).toThrow(`${path}: tensor "i64" has dtype I64, expected a floating type`);
    expect(() => reader.getF32('u8')).toThrow(/dtype U8, expected a floating type/);
  });

  it('f32Location points at the tensor’s raw little-endian float32 bytes in this file', () => {
    const whole = readFileSync(path);
    for (const [name, want] of [
      ['blocks.0.w', f32a],
      ['bias', f32b],
      ['scalar', Float32Array.of(42)],
    ] as const) {
      const loc = reader.f32Location!(name);
      expect(loc?.path).toBe(path);
      const bytes = Buffer.alloc(want.byteLength);
      const fd = openSync(loc!.path, 'r');
      try {
        expect(readSync(fd, bytes, 0, bytes.length, loc!.offset)).toBe(bytes.length);
      } finally {
        closeSync(fd);
      }
      expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, want.length)), name).toEqual(Array.from(want));
      // The data block follows the 8-byte length and the header, 8-byte aligned by the writer.
      const headerLen = Number(whole.readBigUInt64LE(0));
      expect(loc!.offset).toBeGreaterThanOrEqual(8 + headerLen);
      expect((8 + headerLen) % 8).toBe(0);
    }
  });

  it('f32Location is undefined for every tensor not stored as float32', () => {
    for (const name of ['f16', 'bf16', 'f64', 'i64', 'u8']) expect(reader.f32Location!(name), name).toBeUndefined();
  });
});
