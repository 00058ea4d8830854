/**
 * The float16 graph pass (src/model/onnx/float16.ts): what it converts, where it casts, that fp32
 * regions keep float32, and that the variants run and agree with float32. Runs on CPU; set
 * VACE_DEVICE=webgpu to run the same checks on WebGPU (where half precision is computed as such:
 * there the regionless RMSNorm really overflows).
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toFloat16 } from '../../../../src/model/onnx/float16.ts';
import { Graph, type GraphParts, type NodeRecord } from '../../../../src/model/onnx/graph.ts';
import { attention, rmsNorm } from '../../../../src/model/onnx/nn.ts';
import { add, cast, div, gemmTransB, matmul, mul, reduceMean, reshape, resize, sqrt, transpose } from '../../../../src/model/onnx/ops.ts';
import { writeModel } from '../../../../src/model/onnx/write-model.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { f32, type F32Tensor } from '../../../../src/model/tensor.ts';
import { f16ToF32 } from '../../../../src/model/weights/dtype.ts';
import { goldenDevice } from '../../../support/golden-device.ts';

const device = goldenDevice();
const dir = mkdtempSync(join(tmpdir(), 'vace-fp16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => (((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1) * scale);
}

async function run(g: Graph, dtype: 'fp32' | 'fp16', feeds: Record<string, F32Tensor>): Promise<Record<string, F32Tensor>> {
  const s = await ModelSession.fromGraph(g, {
    device,
    dtype,
    onFallback: (d, e) => {
      throw new Error(`${d} failed: ${e.message}`);
    },
  });
  try {
    return (await s.run(feeds)) as Record<string, F32Tensor>;
  } finally {
    await s.release();
  }
}

/** max |a − b| / max |b|. */
function relativeError(a: F32Tensor, b: F32Tensor): number {
  let err = 0;
  let scale = 0;
  b.data.forEach((v, i) => {
    err = Math.max(err, Math.abs(a.data[i]! - v));
    scale = Math.max(scale, Math.abs(v));
  });
  return err / scale;
}

const nodesOf = (p: GraphParts, op: string) => p.nodes.filter((n) => n.opType === op);
const producer = (p: GraphParts, name: string): NodeRecord => p.nodes.find((n) => n.outputs.includes(name))!;

describe('float16 pass', () => {
  it('converts float32 weights (inline and in a file), constants and node outputs; keeps I/O float32', async () => {
    const wData = rand(6 * 8, 3, 0.5);
    const weightFile = join(dir, 'w.bin');
    const header = new Uint8Array(12); // the tensor sits at an offset, as in a safetensors file
    writeFileSync(weightFile, Buffer.concat([header, Buffer.from(wData.buffer)]));
    const g = new Graph('mlp');
    const x = g.input('x', 'float32', [5, 8]);
    const w = g.externalInitializer('w', 'float32', [6, 8], weightFile, header.length);
    const b = g.initializer('b', 'float32', [6], rand(6, 4));
    const h = mul(gemmTransB(x, w, b), 0.5);
    g.output(h, 'y');
    g.output(cast(reduceMean(h, [-1]), 'int64'), 'k');

    const p = toFloat16(g).parts();
    expect(p.inputs.map((i) => i.dtype)).toEqual(['float32']);
    expect(p.outputs.map((o) => [o.name, o.dtype])).toEqual([
      ['y', 'float32'],
      ['k', 'int64'],
    ]);
    const inits = new Map(p.initializers.map((i) => [i.name, i]));
    expect(inits.get('w')!.dtype).toBe('float16');
    expect(inits.get('b')!.dtype).toBe('float16');
    expect([...inits.values()].filter((i) => i.dtype === 'float32')).toEqual([]); // the 0.5 constant too
    // The file-backed weight is converted when serialised, value by value.
    const wInit = inits.get('w')!;
    expect(wInit.data.kind).toBe('derived');
    const half = wInit.data.kind === 'derived' ? wInit.data.read() : new Uint8Array();
    expect(half.byteLength).toBe(wData.length * 2);
    const back = f16ToF32(new Uint16Array(half.buffer, half.byteOffset, wData.length));
    back.forEach((v, i) => expect(Math.abs(v - wData[i]!)).toBeLessThanOrEqual(Math.abs(wData[i]!) * 2 ** -11 + 1e-7));
    expect(producer(p, 'x/to_fp16').attrs.to).toBe(10);
    expect(producer(p, 'y').opType).toBe('Cast'); // back to float32 at the boundary
    expect(producer(p, 'k').outDtypes).toEqual(['int64']);

    const feeds = { x: f32([5, 8], rand(40, 9)) };
    const [ref, got] = [await run(g, 'fp32', feeds), await run(g, 'fp16', feeds)];
    expect(got.y!.dtype).toBe('float32');
    expect(relativeError(got.y!, ref.y!)).toBeLessThan(5e-3);
  });

  it('runs attention, norms and RoPE-style plumbing in half precision and agrees with float32', async () => {
    const L = 6, H = 2, d = 8, dim = H * d;
    const g = new Graph('block');
    const x = g.input('x', 'float32', [L, dim]);
    const wq = g.initializer('wq', 'float32', [dim, dim], rand(dim * dim, 5, 0.3));
    const q = rmsNorm(gemmTransB(x, wq), g.initializer('nq', 'float32', [dim], rand(dim, 6)), 1e-6);
    const att = attention(q, x, x, H, { zeroKeys: 3 });
    g.output(transpose(reshape(add(att, x), [L, H, d]), [1, 0, 2]), 'out');
    const feeds = { x: f32([L, dim], rand(L * dim, 7)) };
    const [ref, got] = [await run(g, 'fp32', feeds), await run(g, 'fp16', feeds)];
    expect(got.out!.shape).toEqual([H, L, d]);
    expect(relativeError(got.out!, ref.out!)).toBeLessThan(1e-2);
  });

  it('keeps fp32 regions in float32: an RMSNorm over values near 1000 is right with the region', async () => {
    // mean(x²) ≈ 1e6 is past half precision's 65504: computed in half it is infinite and the
    // normalised values collapse to 0.
    const build = (region: boolean) => {
      const g = new Graph('rms');
      const x = g.input('x', 'float32', [4, 64]);
      const stats = () => div(x, sqrt(add(reduceMean(mul(x, x), [-1]), 1e-6)));
      g.output(region ? g.fp32Region('test: mean(x²) overflows half precision', stats) : stats(), 'y');
      return g;
    };
    const data = Float32Array.from({ length: 256 }, (_, i) => 1000 + 300 * Math.sin(i));
    const feeds = { x: f32([4, 64], data) };
    const ref = (await run(build(true), 'fp32', feeds)).y!;

    const withRegion = toFloat16(build(true)).parts();
    for (const op of ['Mul', 'ReduceMean', 'Add', 'Sqrt', 'Div']) expect(nodesOf(withRegion, op).map((n) => n.outDtypes[0])).toEqual(['float32']);
    expect(nodesOf(withRegion, 'Cast')).toEqual([]); // float32 input straight into the region, its output straight out
    expect(relativeError((await run(build(true), 'fp16', feeds)).y!, ref)).toBeLessThan(1e-5);

    const without = toFloat16(build(false)).parts();
    expect(nodesOf(without, 'ReduceMean')[0]!.outDtypes).toEqual(['float16']);
    const plain = (await run(build(false), 'fp16', feeds)).y!;
    // ORT's CPU provider computes most half-precision nodes in float32 behind the scenes (so the
    // overflow does not show there); WebGPU computes them in half precision.
    if (device === 'webgpu') expect(relativeError(plain, ref)).toBeGreaterThan(0.5);
  });

  it('casts once per value and direction, and a weight read in both precisions exists in both', () => {
    const g = new Graph('shared');
    const x = g.input('x', 'float32', [4, 4]);
    const w = g.initializer('w', 'float32', [4, 4], rand(16, 2));
    const a = matmul(x, w);
    const r1 = g.fp32Region('test', () => mul(a, w));
    const r2 = g.fp32Region('test', () => add(a, 1));
    g.output(add(r1, r2), 'y');
    const p = toFloat16(g).parts();
    const casts = nodesOf(p, 'Cast');
    expect(casts.filter((c) => c.inputs[0] === a.name).length).toBe(1); // a → float32, shared by both region nodes
    expect(casts.filter((c) => c.outputs[0]!.startsWith(`${r1.name}/`) || c.outputs[0]!.startsWith(`${r2.name}/`)).length).toBe(2);
    expect(p.initializers.filter((i) => i.name === 'w' || i.name.startsWith('w/')).map((i) => i.dtype).sort()).toEqual(['float16', 'float32']);
    // The region's Mul reads the float32 copy, the MatMul the half one.
    expect(producer(p, r1.name).inputs[1]).toBe('w/fp32');
    expect(producer(p, a.name).inputs[1]).toBe('w');
  });

  it('data movement between fp32 regions stays float32; Cast targets and Resize scales are fixed', () => {
    const g = new Graph('plumbing');
    const t = g.input('table', 'float32', [6, 4]);
    const x = g.input('x', 'float32', [6, 4]);
    const moved = transpose(reshape(t, [6, 2, 2]), [1, 0, 2]);
    g.output(g.fp32Region('test', () => mul(moved, reshape(transpose(x, [1, 0]), [2, 6, 2]))), 'rope');
    const img = g.input('img', 'float32', [1, 1, 2, 2]);
    g.output(resize(cast(cast(img, 'int64'), 'float32'), [1, 1, 4, 4], 'linear'), 'up');
    const [nn] = g.node('Resize', [img, null, g.constant([1, 1, 2, 2], 'float32')], { mode: 'nearest' }, { outShapes: [[1, 1, 4, 4]] });
    g.output(nn!, 'nearest');
    const p = toFloat16(g).parts();
    expect(nodesOf(p, 'Transpose').map((n) => n.outDtypes[0])).toEqual(['float32', 'float32']);
    expect(nodesOf(p, 'Reshape').map((n) => n.outDtypes[0])).toEqual(['float32', 'float32']);
    const toFloat = nodesOf(p, 'Cast').find((n) => n.inputs[0] === p.nodes.find((m) => m.opType === 'Cast' && m.inputs[0] === 'img')!.outputs[0]);
    expect(toFloat!.attrs.to).toBe(10); // Cast(…, float32) outside a region now casts to float16
    const [linear, nearest] = nodesOf(p, 'Resize');
    expect(linear!.outDtypes).toEqual(['float16']);
    // Resize's `scales` input is tensor(float) whatever the data's type.
    expect(nearest!.outDtypes).toEqual(['float16']);
    expect(p.initializers.find((i) => i.name === nearest!.inputs[2])!.dtype).toBe('float32');
  });

  it('lists I/O that stay float16 at the boundary, and refuses names that are not float I/O', () => {
    const g = new Graph('io');
    const k = g.input('cache_k', 'float32', [2, 4]);
    const s = g.input('steps', 'int64', [1]);
    g.output(g.fp32Region('test', () => mul(k, 2)), 'new_k');
    g.output(cast(s, 'float32'), 'steps_f');
    const p = toFloat16(g, { float16IO: ['cache_k', 'new_k'] }).parts();
    expect(p.inputs.map((i) => [i.name, i.dtype])).toEqual([
      ['cache_k', 'float16'],
      ['steps', 'int64'],
    ]);
    expect(p.outputs.map((o) => [o.name, o.dtype])).toEqual([
      ['new_k', 'float16'],
      ['steps_f', 'float32'],
    ]);
    expect(producer(p, 'cache_k/to_fp32').attrs.to).toBe(1); // into the region
    expect(producer(p, 'new_k').attrs.to).toBe(10); // out of it
    expect(() => toFloat16(g, { float16IO: ['steps'] })).toThrow(/"steps" is not a float32 input or output of the graph/);
    expect(() => toFloat16(g, { float16IO: ['nope', 'nada'] })).toThrow(/"nope", "nada" are not/);
  });

  it('saturates out-of-range weights to ±65504 and refuses ops that set a float type by attribute', () => {
    const g = new Graph('range');
    const x = g.input('x', 'float32', [3]);
    g.output(mul(x, g.initializer('w', 'float32', [3], Float32Array.of(1e6, -7e4, Infinity))), 'y');
    const w = toFloat16(g).parts().initializers.find((i) => i.name === 'w')!;
    const bytes = w.data.kind === 'derived' ? w.data.read() : new Uint8Array();
    expect(Array.from(f16ToF32(new Uint16Array(bytes.buffer, bytes.byteOffset, 3)))).toEqual([65504, -65504, Infinity]);

    const bad = new Graph('attr');
    const shape = bad.input('shape', 'int64', [2]);
    const [c] = bad.node('ConstantOfShape', [shape], {}, { outDtypes: ['float32'] });
    bad.output(c!, 'c');
    expect(() => toFloat16(bad)).toThrow(/\(ConstantOfShape\) sets its float32 output type by attribute/);
  });

  it('a large fp16 model is written beside its weight file with the converted weights and loads by path', async () => {
    const data = rand(64 * 64, 11, 0.1);
    const weightFile = join(dir, 'big.bin');
    writeFileSync(weightFile, Buffer.from(data.buffer));
    const g = new Graph('big');
    const x = g.input('x', 'float32', [2, 64]);
    g.output(gemmTransB(x, g.externalInitializer('w', 'float32', [64, 64], weightFile, 0)), 'y');
    const feeds = { x: f32([2, 64], rand(128, 12)) };
    const ref = (await run(g, 'fp32', feeds)).y!;
    // inlineLimitBytes 0: the file path, as for the 1.3B DiT.
    const s = await ModelSession.fromGraph(g, { device, dtype: 'fp16', inlineLimitBytes: 0 });
    const got = (await s.run(feeds)).y as F32Tensor;
    await s.release();
    expect(relativeError(got, ref)).toBeLessThan(5e-3);

    const out = join(dir, 'half.onnx');
    const written = writeModel(toFloat16(g), out);
    expect(written.dataBytes).toBe(64 * 64 * 2);
    expect(statSync(`${out}.data`).size).toBe(64 * 64 * 2);
    const fromFile = await ModelSession.fromFile(out, { device });
    const again = (await fromFile.run(feeds)).y as F32Tensor;
    await fromFile.release();
    expect(Array.from(again.data)).toEqual(Array.from(got.data));
  });
});
