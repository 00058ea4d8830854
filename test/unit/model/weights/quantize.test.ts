import { describe, expect, it } from 'vitest';
import { f32 } from '../../../../src/model/tensor.ts';
import { allocInt8Blocks, dequantizeInt8, INT8_ZERO_POINT, quantizeInt8, quantizeRowsInt8, quantizeWeightInt8 } from '../../../../src/model/weights/quantize.ts';

function rand(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

describe('int8 block quantisation', () => {
  it('scales each block by its largest |w| / 127 and stores code = round(w / scale) + 128', () => {
    const w = f32([1, 16], [1.27, -0.634, 0, 0.012, ...new Array<number>(12).fill(0.5)]);
    const q = quantizeInt8(w, 16);
    expect(q.scales[0]).toBeCloseTo(0.01, 7);
    expect(Array.from(q.codes.subarray(0, 4))).toEqual([128 + 127, 128 - 63, 128, 128 + 1]);
    expect(q.codes[4]).toBe(128 + 50);
  });

  it('w and −w get mirrored codes, all within [1, 255]', () => {
    const half = rand(8, 5);
    const w = f32([1, 16], Float32Array.from({ length: 16 }, (_, i) => (i % 2 ? -1 : 1) * half[i >> 1]!));
    const q = quantizeInt8(w, 16);
    for (let i = 0; i < 16; i += 2) expect(q.codes[i + 1]! - INT8_ZERO_POINT).toBe(-(q.codes[i]! - INT8_ZERO_POINT));
    expect(Math.max(...q.codes)).toBeLessThanOrEqual(255);
    expect(Math.min(...q.codes)).toBeGreaterThanOrEqual(1);
  });

  it('reconstructs every weight to within half a step of its block', () => {
    const rows = 5;
    const cols = 70; // two full blocks of 32 and a partial one of 6
    const data = rand(rows * cols, 3).map((v, i) => v * (1 + (i % 7)));
    const q = quantizeInt8(f32([rows, cols], data), 32);
    expect(q.codes.length).toBe(rows * 3 * 32);
    expect(q.scales.length).toBe(rows * 3);
    const back = dequantizeInt8(q);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const scale = q.scales[r * 3 + Math.floor(c / 32)]!;
        expect(Math.abs(back[r * cols + c]! - data[r * cols + c]!)).toBeLessThanOrEqual(scale / 2 + 1e-7);
      }
    }
    // The partial block's padding is the zero code, so it adds nothing to a product.
    for (let r = 0; r < rows; r++) expect(Array.from(q.codes.subarray((r * 3 + 2) * 32 + 6, (r * 3 + 3) * 32))).toEqual(new Array<number>(26).fill(128));
  });

  it('an all-zero block gets scale 0 and zero codes', () => {
    const q = quantizeInt8(f32([1, 32], new Float32Array(32)), 16);
    expect(Array.from(q.scales)).toEqual([0, 0]);
    expect(q.codes.every((c) => c === 128)).toBe(true);
    expect(Array.from(dequantizeInt8(q))).toEqual(new Array<number>(32).fill(0));
  });

  it('refuses non-finite weights, bad block sizes and rows outside the buffer', () => {
    expect(() => quantizeInt8(f32([1, 16], [NaN, ...new Array<number>(15).fill(0)]), 16, 'w')).toThrow(/w: non-finite value NaN at row 0, column 0/);
    expect(() => allocInt8Blocks(1, 16, 24)).toThrow(/power of two ≥ 16, got 24/);
    expect(() => allocInt8Blocks(1, 16, 8)).toThrow(/power of two ≥ 16, got 8/);
    const dst = allocInt8Blocks(2, 16, 16);
    expect(() => quantizeRowsInt8(new Float32Array(32), dst, 1)).toThrow(/rows \[1, 3\) are outside \[0, 2\)/);
    expect(() => quantizeInt8(f32([16], new Float32Array(16)), 16)).toThrow(/2-D weight/);
  });

  it('quantising a slice of rows at a time gives the same codes as the whole tensor', () => {
    const rows = 9;
    const cols = 48;
    const data = rand(rows * cols, 11);
    const whole = quantizeInt8(f32([rows, cols], data), 16);
    const slices: [number, number][] = [];
    const reader = {
      path: 'test',
      getF32: () => {
        throw new Error('whole-tensor read not expected');
      },
      getF32Rows: (_name: string, start: number, count: number) => {
        slices.push([start, count]);
        return data.slice(start * cols, (start + count) * cols);
      },
    };
    const sliced = quantizeWeightInt8(reader, 'w', [rows, cols], 16);
    expect(slices.length).toBeGreaterThan(0);
    expect(Array.from(sliced.codes)).toEqual(Array.from(whole.codes));
    expect(Array.from(sliced.scales)).toEqual(Array.from(whole.scales));
    const noSlicing = quantizeWeightInt8({ path: 'test', getF32: () => f32([rows, cols], data) }, 'w', [rows, cols], 16);
    expect(Array.from(noSlicing.codes)).toEqual(Array.from(whole.codes));
  });
});
