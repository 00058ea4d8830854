import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../../../../src/model/onnx/graph.ts';
import { fileInt8Params, gatherInt8Rows, inlineInt8Params, int8CodesKey, int8ScalesKey, linearInt8, type Int8Activations, type Int8ParamSource } from '../../../../src/model/onnx/int8.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { f32, i64 } from '../../../../src/model/tensor.ts';
import { dequantizeInt8, quantizeInt8 } from '../../../../src/model/weights/quantize.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import { SafetensorsFile } from '../../../../src/model/weights/safetensors.ts';
import { writeSafetensors } from '../../../../src/model/weights/safetensors-writer.ts';

const ROWS = 24;
const COLS = 40; // blocks of 16: two full, one partial (padding must not leak into results)
const spec = new Map([['w.weight', [ROWS, COLS] as const]]);
const weights = randomWeights(spec, 7);
const reference = dequantizeInt8(quantizeInt8(weights.getF32('w.weight'), 16));

const dir = mkdtempSync(join(tmpdir(), 'vace-int8-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A graph with y = x·Wᵀ (MatMulNBits) and rows = W[ids] (int8 gather), W from `source`. */
function build(source: (g: Graph) => Int8ParamSource, activations: Int8Activations = 'float32'): Graph {
  const g = new Graph('int8');
  const x = g.input('x', 'float32', ['B', 'L', COLS]);
  const ids = g.input('ids', 'int64', ['B', 'L']);
  const w = source(g)('w.weight', [ROWS, COLS]);
  const y = linearInt8(x, w, activations);
  expect(y.shape).toEqual(['B', 'L', ROWS]);
  g.output(y, 'y');
  const rows = gatherInt8Rows(w, ids);
  expect(rows.shape).toEqual(['B', 'L', COLS]);
  g.output(rows, 'rows');
  return g;
}

const x = f32([2, 3, COLS], Float32Array.from({ length: 2 * 3 * COLS }, (_, i) => Math.sin(i * 0.37)));
const ids = i64([2, 3], [0, 5, 23, 23, 1, 12]);

async function run(g: Graph) {
  const s = await ModelSession.fromGraph(g);
  try {
    return await s.run({ x, ids });
  } finally {
    await s.release();
  }
}

describe('int8 weights in graphs', () => {
  it('MatMulNBits computes x · dequantised(W)ᵀ and the gather returns dequantised rows exactly', async () => {
    const out = await run(build((g) => inlineInt8Params(g, weights, 16)));
    for (let m = 0; m < 6; m++) {
      for (let n = 0; n < ROWS; n++) {
        let acc = 0;
        for (let k = 0; k < COLS; k++) acc += x.data[m * COLS + k]! * reference[n * COLS + k]!;
        expect(out.y!.data[m * ROWS + n]).toBeCloseTo(acc, 5);
      }
    }
    const want = Array.from(ids.data, (id) => Array.from(reference.subarray(Number(id) * COLS, (Number(id) + 1) * COLS))).flat();
    expect(Array.from(out.rows!.data as Float32Array)).toEqual(want);
  });

  it("with int8 activations (the CPU's fast path) the product stays within ~1 % of the weight-only one", async () => {
    const exact = (await run(build((g) => inlineInt8Params(g, weights, 16)))).y!.data;
    const fast = (await run(build((g) => inlineInt8Params(g, weights, 16), 'int8'))).y!.data;
    let err2 = 0;
    let ref2 = 0;
    for (let i = 0; i < exact.length; i++) {
      err2 += (Number(fast[i]) - Number(exact[i])) ** 2;
      ref2 += Number(exact[i]) ** 2;
    }
    expect(Math.sqrt(err2 / ref2)).toBeLessThan(0.01);
  });

  it('codes stored in a safetensors file give the same results as quantising in memory', async () => {
    const q = quantizeInt8(weights.getF32('w.weight'), 16);
    const path = join(dir, 'q.safetensors');
    writeSafetensors(path, [
      { name: 'other', dtype: 'F32', shape: [3], data: Float32Array.of(1, 2, 3) }, // offsets the data so they are not 0
      { name: int8CodesKey('w.weight'), dtype: 'U8', shape: [ROWS, 3, 16], data: q.codes },
      { name: int8ScalesKey('w.weight'), dtype: 'F32', shape: [ROWS, 3], data: q.scales },
    ]);
    const file = new SafetensorsFile(path);
    try {
      const g = build((gr) => fileInt8Params(gr, file));
      const external = g.initializers().filter((i) => i.data.kind === 'external').map((i) => i.name);
      expect(external.sort()).toEqual([int8CodesKey('w.weight'), int8ScalesKey('w.weight')].sort());
      const fromFile = await run(g);
      const inMemory = await run(build((gr) => inlineInt8Params(gr, weights, 16)));
      expect(Array.from(fromFile.y!.data as Float32Array)).toEqual(Array.from(inMemory.y!.data as Float32Array));
      expect(Array.from(fromFile.rows!.data as Float32Array)).toEqual(Array.from(inMemory.rows!.data as Float32Array));
      expect(() => fileInt8Params(new Graph('t'), file)('missing.weight', [ROWS, COLS])).toThrow(/no int8 weight "missing\.weight" \(expected tensors "missing\.weight\.int8" and "missing\.weight\.int8_scales"\)/);
      expect(() => fileInt8Params(new Graph('t'), file)('w.weight', [ROWS, 64])).toThrow(/weight "w\.weight\.int8" has shape \[24, 3, 16\], expected \[24, 4, 16\]/);
    } finally {
      file.close();
    }
  });

  it('refuses a weight whose shape is not the one asked for, and an input of the wrong width', () => {
    const g = new Graph('bad');
    expect(() => inlineInt8Params(g, weights, 16)('w.weight', [COLS, ROWS])).toThrow(/"w\.weight" has shape \[24, 40\], expected \[40, 24\]/);
    expect(() => inlineInt8Params(g, weights, 16)('nope', [1, 16])).toThrow(/missing weight "nope"/);
    const w = inlineInt8Params(g, weights, 16)('w.weight', [ROWS, COLS]);
    expect(() => linearInt8(g.input('x', 'float32', [2, 8]), w)).toThrow(/has 8 features, weight "w\.weight\.int8" expects 40/);
  });
});
