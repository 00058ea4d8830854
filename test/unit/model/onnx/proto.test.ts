/**
 * The vendored ONNX schema (src/model/onnx/proto.ts) and the model writer
 * (src/model/onnx/write-model.ts): a small graph is serialised, decoded back with the schema and
 * checked field by field (nodes, attributes of every type, value infos, inline and external
 * initializers); writeModel's external-data file is checked byte for byte (64-byte aligned
 * offsets, copies from a source file, references in place), and the written model runs in ORT
 * like the in-memory graph and like a plain-JS evaluation of it.
 *
 * (writeModel's checks live here beside the decoding they rely on; write-model.test.ts covers the
 * `vace-live graph` command end to end.)
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Graph } from '../../../../src/model/onnx/graph.ts';
import { add, gelu, layerNormalization, matmul, mul, softmax, transpose } from '../../../../src/model/onnx/ops.ts';
import { ELEM_SIZE, ONNX_DTYPE, modelProtoType, onnxRoot } from '../../../../src/model/onnx/proto.ts';
import { writeModel } from '../../../../src/model/onnx/write-model.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { f32 } from '../../../../src/model/tensor.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-proto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

const W = rand(12, 1); // [3, 4], 48 bytes
const B = rand(4, 2); // [4], 16 bytes
const EXT = rand(8, 3); // [2, 4], 32 bytes, external: at byte 12 of a raw file
const X = rand(6, 4); // input [2, 3]

/** Raw file with EXT at byte offset 12 (other bytes are garbage that must not be read). */
function rawFile(folder: string): string {
  mkdirSync(folder, { recursive: true });
  const p = join(folder, 'ext.bin');
  const buf = Buffer.alloc(12 + EXT.byteLength + 20, 0xee);
  Buffer.from(EXT.buffer).copy(buf, 12);
  writeFileSync(p, buf);
  return p;
}

/** y = softmax(gelu_tanh((x·W + b) ⊙ ext)), ln = LayerNorm(that pre-softmax value), t = xᵀ. */
function buildGraph(extPath: string): Graph {
  const g = new Graph('proto_test');
  const x = g.input('x', 'float32', [2, 3]);
  const w = g.initializer('w', 'float32', [3, 4], W);
  const b = g.initializer('b', 'float32', [4], B);
  const ext = g.externalInitializer('ext', 'float32', [2, 4], extPath, 12);
  const h = gelu(mul(add(matmul(x, w), b), ext), 'tanh');
  g.output(softmax(h, -1), 'y');
  g.output(layerNormalization(h, 1e-3), 'ln');
  g.output(transpose(x, [1, 0]), 't');
  return g;
}

/** The same computation in plain JS (float64). */
function reference(): { y: number[]; ln: number[]; t: number[] } {
  const y: number[] = [];
  const ln: number[] = [];
  for (let i = 0; i < 2; i++) {
    const h: number[] = [];
    for (let o = 0; o < 4; o++) {
      let acc = B[o]!;
      for (let k = 0; k < 3; k++) acc += X[i * 3 + k]! * W[k * 4 + o]!;
      const v = acc * EXT[i * 4 + o]!;
      h.push(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))));
    }
    const m = Math.max(...h);
    const e = h.map((v) => Math.exp(v - m));
    const s = e.reduce((a, c) => a + c, 0);
    y.push(...e.map((v) => v / s));
    const mean = h.reduce((a, c) => a + c, 0) / 4;
    const variance = h.reduce((a, c) => a + (c - mean) ** 2, 0) / 4;
    ln.push(...h.map((v) => (v - mean) / Math.sqrt(variance + 1e-3)));
  }
  const t = [0, 1, 2].flatMap((k) => [X[k]!, X[3 + k]!]);
  return { y, ln, t };
}

interface Decoded {
  ir_version: number;
  producer_name: string;
  opset_import: { domain: string; version: number }[];
  graph: {
    name: string;
    node: { op_type: string; input: string[]; output: string[]; name: string; domain: string; attribute: { name: string; type: number; i: number; f: number; s: Uint8Array; ints: number[] }[] }[];
    initializer: { name: string; data_type: number; dims: number[]; raw_data: Uint8Array; data_location: number; external_data: { key: string; value: string }[] }[];
    input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_value?: number; dim_param?: string }[] } } } }[];
    output: { name: string }[];
  };
}

function decode(bytes: Uint8Array): Decoded {
  const t = modelProtoType();
  return t.toObject(t.decode(bytes), { longs: Number, defaults: true, bytes: Array }) as unknown as Decoded;
}

const bytesOf = (a: Float32Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `element ${i}: ${got[i]} vs ${w}`).toBeLessThan(tol));
};

describe('proto.ts', () => {
  it('parses the vendored schema once', () => {
    expect(onnxRoot()).toBe(onnxRoot());
    expect(modelProtoType()).toBe(onnxRoot().lookupType('onnx.ModelProto'));
  });

  it('ONNX_DTYPE matches TensorProto.DataType of the schema, ELEM_SIZE the element widths', () => {
    const dt = onnxRoot().lookupEnum('onnx.TensorProto.DataType').values;
    const names: Record<keyof typeof ONNX_DTYPE, string> = {
      float32: 'FLOAT',
      uint8: 'UINT8',
      int8: 'INT8',
      int32: 'INT32',
      int64: 'INT64',
      bool: 'BOOL',
      float16: 'FLOAT16',
      float64: 'DOUBLE',
      bfloat16: 'BFLOAT16',
    };
    for (const [k, n] of Object.entries(names)) expect(ONNX_DTYPE[k as keyof typeof ONNX_DTYPE], k).toBe(dt[n]);
    // The standard's numbers, independently of the vendored file.
    expect(ONNX_DTYPE).toEqual({ float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16 });
    expect(ELEM_SIZE).toEqual({
      float32: Float32Array.BYTES_PER_ELEMENT,
      uint8: 1,
      int8: Int8Array.BYTES_PER_ELEMENT,
      int32: Int32Array.BYTES_PER_ELEMENT,
      int64: BigInt64Array.BYTES_PER_ELEMENT,
      bool: 1,
      float16: 2,
      float64: Float64Array.BYTES_PER_ELEMENT,
      bfloat16: 2,
    });
  });

  it('a graph serialised with the schema decodes back to its nodes, attributes, value infos and initializers', () => {
    const g = buildGraph(rawFile(join(dir, 'decode')));
    const m = decode(g.toBytes({ inlineExternal: () => new Uint8Array(EXT.buffer) }));
    expect(m.ir_version).toBe(10);
    expect(m.producer_name).toBe('vace-live');
    expect(m.opset_import).toEqual([{ domain: '', version: 21 }]);
    expect(m.graph.name).toBe('proto_test');
    expect(m.graph.node.map((n) => n.op_type)).toEqual(['MatMul', 'Add', 'Mul', 'Gelu', 'Softmax', 'Identity', 'LayerNormalization', 'Identity', 'Transpose', 'Identity']);
    const [mm, addN] = m.graph.node;
    expect(mm!.input).toEqual(['x', 'w']);
    expect(addN!.input).toEqual([mm!.output[0], 'b']);
    const attr = (op: string, name: string) => m.graph.node.find((n) => n.op_type === op)!.attribute.find((a) => a.name === name)!;
    expect(attr('Softmax', 'axis')).toMatchObject({ type: 2, i: -1 }); // INT
    expect(attr('Gelu', 'approximate').type).toBe(3); // STRING
    expect(Buffer.from(attr('Gelu', 'approximate').s).toString()).toBe('tanh');
    expect(attr('LayerNormalization', 'epsilon').type).toBe(1); // FLOAT
    expect(attr('LayerNormalization', 'epsilon').f).toBeCloseTo(1e-3, 9);
    expect(attr('Transpose', 'perm')).toMatchObject({ type: 7, ints: [1, 0] }); // INTS
    expect(m.graph.input).toHaveLength(1);
    expect(m.graph.input[0]!.name).toBe('x');
    expect(m.graph.input[0]!.type.tensor_type.elem_type).toBe(1);
    expect(m.graph.input[0]!.type.tensor_type.shape.dim.map((d) => d.dim_value)).toEqual([2, 3]);
    expect(m.graph.output.map((o) => o.name)).toEqual(['y', 'ln', 't']);
    const init = Object.fromEntries(m.graph.initializer.map((i) => [i.name, i]));
    expect(init.w).toMatchObject({ data_type: 1, dims: [3, 4], data_location: 0 });
    expect(Array.from(init.w!.raw_data)).toEqual(bytesOf(W));
    expect(Array.from(init.b!.raw_data)).toEqual(bytesOf(B));
    expect(Array.from(init.ext!.raw_data)).toEqual(bytesOf(EXT)); // read in through inlineExternal
  });

  it('symbolic and unknown dims and other element types survive the round trip', () => {
    const g = new Graph('dims', { opset: 20 });
    const ids = g.input('ids', 'int64', ['B', 'L']);
    const flag = g.input('flag', 'bool', [null]);
    g.output(ids, 'ids_out');
    g.output(flag, 'flag_out');
    g.node('Relu', [g.input('v', 'float32', [1])], {}, { domain: 'com.microsoft' });
    const m = decode(g.toBytes());
    expect(m.opset_import).toEqual([
      { domain: '', version: 20 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    expect(m.graph.node.find((n) => n.op_type === 'Relu')!.domain).toBe('com.microsoft');
    const dims = (name: string) => m.graph.input.find((i) => i.name === name)!.type.tensor_type;
    expect(dims('ids').elem_type).toBe(7);
    expect(dims('ids').shape.dim.map((d) => d.dim_param)).toEqual(['B', 'L']);
    expect(dims('flag').elem_type).toBe(9);
    expect(dims('flag').shape.dim).toHaveLength(1);
    expect(dims('flag').shape.dim[0]!.dim_value ?? 0).toBe(0);
    expect(dims('flag').shape.dim[0]!.dim_param ?? '').toBe('');
  });
});

describe('writeModel', () => {
  it('puts initializers at or above the threshold in one 64-byte-aligned .data file, copies external sources, and ORT runs it like the in-memory graph and the JS reference', async () => {
    // Threshold 32 bytes: w (48) and ext (32) go out; b (16) and the LayerNorm scale constant (16) stay inline.
    const folder = join(dir, 'external');
    mkdirSync(folder, { recursive: true });
    const src = rawFile(join(dir, 'elsewhere')); // not in the model's folder: must be copied
    const out = join(folder, 'model.onnx');
    const g = buildGraph(src);
    const r = writeModel(g, out, { externalThreshold: 32 });
    expect(r.dataPath).toBe(`${out}.data`);
    expect(r.modelBytes).toBe(statSync(out).size);
    const data = readFileSync(r.dataPath!);
    expect(r.dataBytes).toBe(data.length);

    const m = decode(readFileSync(out));
    const init = Object.fromEntries(m.graph.initializer.map((i) => [i.name, i]));
    const ext = (name: string) => Object.fromEntries(init[name]!.external_data.map((e) => [e.key, e.value]));
    const placed: Record<string, [number, Float32Array]> = {};
    for (const [name, want] of [
      ['w', W],
      ['ext', EXT],
    ] as const) {
      expect(init[name]!.data_location, name).toBe(1);
      expect(init[name]!.raw_data.length, name).toBe(0);
      const e = ext(name);
      expect(e.location).toBe(basename(r.dataPath!));
      expect(Number(e.length)).toBe(want.byteLength);
      const offset = Number(e.offset);
      expect(offset % 64, `${name} offset ${offset}`).toBe(0);
      expect(Array.from(data.subarray(offset, offset + want.byteLength)), name).toEqual(bytesOf(want));
      placed[name] = [offset, want];
    }
    // Entries do not overlap.
    const spans = Object.values(placed).map(([o, a]) => [o, o + a.byteLength]).sort((a, b) => a[0]! - b[0]!);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]!);
    // Initializers under the threshold (b, constants) stay inline with their bytes.
    for (const i of m.graph.initializer.filter((i) => !['w', 'ext'].includes(i.name))) expect(i.data_location, i.name).toBe(0);
    expect(Array.from(init.b!.raw_data)).toEqual(bytesOf(B));

    const fromFile = await ModelSession.fromFile(out, { threads: 1 });
    const inMemory = await ModelSession.fromGraph(g, { threads: 1 });
    const feeds = { x: f32([2, 3], X) };
    const a = await fromFile.run(feeds);
    const b = await inMemory.run(feeds);
    await fromFile.release();
    await inMemory.release();
    for (const k of ['y', 'ln', 't']) expect(Array.from(a[k]!.data as Float32Array), k).toEqual(Array.from(b[k]!.data as Float32Array));
    const ref = reference();
    expect(a.y!.shape).toEqual([2, 4]);
    expect(a.t!.shape).toEqual([3, 2]);
    close(a.y!.data as Float32Array, ref.y);
    close(a.ln!.data as Float32Array, ref.ln, 1e-4);
    expect(Array.from(a.t!.data as Float32Array)).toEqual(ref.t);
  });

  it('the default threshold (1 KiB) keeps a small model inline and writes no data file', () => {
    const out = join(dir, 'inline', 'model.onnx');
    mkdirSync(join(dir, 'inline'), { recursive: true });
    const r = writeModel(buildGraph(rawFile(join(dir, 'inline-src'))), out);
    expect(r.dataPath).toBeUndefined();
    expect(r.dataBytes).toBe(0);
    expect(existsSync(`${out}.data`)).toBe(false);
    const m = decode(readFileSync(out));
    expect(m.graph.initializer.every((i) => i.data_location === 0)).toBe(true);
    expect(Array.from(m.graph.initializer.find((i) => i.name === 'ext')!.raw_data)).toEqual(bytesOf(EXT));
  });

  it('externalThreshold Infinity inlines everything, a large initializer included', () => {
    const out = join(dir, 'inf', 'model.onnx');
    mkdirSync(join(dir, 'inf'), { recursive: true });
    const g = new Graph('big');
    const big = rand(2048, 9); // 8 KiB
    g.output(add(g.input('x', 'float32', [2048]), g.initializer('big', 'float32', [2048], big)), 'y');
    expect(writeModel(g, out, { externalThreshold: Infinity }).dataPath).toBeUndefined();
    const m = decode(readFileSync(out));
    expect(Array.from(m.graph.initializer.find((i) => i.name === 'big')!.raw_data)).toEqual(bytesOf(big));
    // …and the default threshold moves it out.
    const r = writeModel(g, out);
    expect(r.dataBytes).toBe(big.byteLength);
    expect(decode(readFileSync(out)).graph.initializer.find((i) => i.name === 'big')!.data_location).toBe(1);
  });

  it('referenceInPlace points at a source file in the model’s folder (its own name and offset) instead of copying it', async () => {
    const folder = join(dir, 'inplace');
    const src = rawFile(folder);
    const out = join(folder, 'model.onnx');
    const g = buildGraph(src);
    const r = writeModel(g, out, { externalThreshold: 32, referenceInPlace: true });
    const m = decode(readFileSync(out));
    const e = Object.fromEntries(m.graph.initializer.find((i) => i.name === 'ext')!.external_data.map((x) => [x.key, x.value]));
    expect(e).toEqual({ location: basename(src), offset: '12', length: String(EXT.byteLength) });
    // Inline (in-memory) initializers still go to the .data file, and only they.
    expect(r.dataPath).toBe(`${out}.data`);
    const wLoc = Object.fromEntries(m.graph.initializer.find((i) => i.name === 'w')!.external_data.map((x) => [x.key, x.value]));
    expect(wLoc.location).toBe(basename(r.dataPath!));
    expect(r.dataBytes).toBe(W.byteLength);
    const s = await ModelSession.fromFile(out, { threads: 1 });
    close((await s.run({ x: f32([2, 3], X) })).y!.data as Float32Array, reference().y);
    await s.release();
  });

  it('a source range past the end of its file fails naming the file and the initializer', () => {
    const folder = join(dir, 'short');
    mkdirSync(folder, { recursive: true });
    const src = join(folder, 'short.bin');
    writeFileSync(src, Buffer.alloc(20));
    const g = new Graph('short');
    g.output(add(g.input('x', 'float32', [8]), g.externalInitializer('tail', 'float32', [8], src, 4)), 'y');
    expect(() => writeModel(g, join(folder, 'a.onnx'), { externalThreshold: 1 })).toThrow(`${src}: short read for "tail"`);
    expect(() => writeModel(g, join(folder, 'b.onnx'), { externalThreshold: Infinity })).toThrow(`${src}: short read of initializer "tail"`);
  });
});
