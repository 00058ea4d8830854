/**
 * Block-quantised 8-bit weights in graphs (layout: weights/quantize.ts):
 *  - `linearInt8`: nn.Linear without bias as com.microsoft.MatMulNBits (bits 8), implemented by
 *    ORT's CPU and WebGPU providers; the weight stays 8-bit in the session.
 *  - `gatherInt8Rows`: an embedding lookup that gathers the int8 rows first and dequantises only
 *    those, with standard ops (Gather, Cast, Sub, Mul) every provider has.
 * Sources of the codes: quantised in memory at build time (`inlineInt8Params`), or a safetensors
 * file that already holds them (`fileInt8Params`, the converted cache of a large model).
 */
import { MS_DOMAIN, type Graph, type Value } from './graph.ts';
import { cast, gather, mul, reshape, slice, sub, unsqueeze } from './ops.ts';
import { INT8_ZERO_POINT, checkInt8BlockSize, int8BlockCount, quantizeWeightInt8, type RowReadable } from '../weights/quantize.ts';
import type { SafetensorsFile } from '../weights/safetensors.ts';

/** A [rows, cols] weight as graph values: codes uint8 [rows, blocks, blockSize], scales f32 [rows, blocks]. */
export interface Int8Weight {
  readonly codes: Value;
  readonly scales: Value;
  readonly rows: number;
  readonly cols: number;
  readonly blockSize: number;
}

/** Looks up a 2-D checkpoint weight by name as int8 blocks (shape checked). */
export type Int8ParamSource = (name: string, shape: readonly [number, number]) => Int8Weight;

/** Names of the two stored parts of an int8 weight in a converted safetensors file. */
export const int8CodesKey = (name: string) => `${name}.int8`;
export const int8ScalesKey = (name: string) => `${name}.int8_scales`;

/**
 * What MatMulNBits may do with the activations (its accuracy_level):
 *  - 'int8' (level 4): the CPU provider quantises each block of the activations to int8 too and
 *    runs integer dot products. In ORT 1.30 the CPU kernel for 8-bit weights has no fast float32
 *    path: measured for [20, 4096] × [4096, 10240] on 2 EPYC cores, level 0 takes 580 ms, level 4
 *    8 ms (a float32 MatMul 17 ms). The extra error is small (umt5 fixture: 2.2 % vs 1.9 % RMS at
 *    the output). It is also the level ORT itself gives MatMulNBits it fuses from DequantizeLinear.
 *    WebGPU ignores the level and computes in float32.
 *  - 'float32' (level 0): only the weights are quantised (exact weight-only semantics; slow on CPU).
 */
export type Int8Activations = 'int8' | 'float32';

const ACCURACY_LEVEL: Record<Int8Activations, number> = { int8: 4, float32: 0 };

/** x [..., cols] · Wᵀ for an int8 weight W [rows, cols] → [..., rows]. */
export function linearInt8(x: Value, w: Int8Weight, activations: Int8Activations = 'int8'): Value {
  const k = x.shape?.[x.shape.length - 1];
  if (typeof k === 'number' && k !== w.cols) throw new Error(`MatMulNBits: input "${x.name}" has ${k} features, weight "${w.codes.name}" expects ${w.cols}`);
  const shape = x.shape ? [...x.shape.slice(0, -1), w.rows] : undefined;
  return x.graph.node('MatMulNBits', [x, w.codes, w.scales], { K: w.cols, N: w.rows, bits: 8, block_size: w.blockSize, accuracy_level: ACCURACY_LEVEL[activations] }, {
    domain: MS_DOMAIN,
    outShapes: [shape],
    outDtypes: ['float32'],
  })[0]!;
}

/** Rows `ids` (int64, any shape) of an int8 table [rows, cols] as float32 [...ids, cols]. */
export function gatherInt8Rows(w: Int8Weight, ids: Value): Value {
  const blocks = int8BlockCount(w.cols, w.blockSize);
  const codes = sub(cast(gather(w.codes, ids), 'float32'), INT8_ZERO_POINT); // [...ids, blocks, blockSize]
  const scales = unsqueeze(gather(w.scales, ids), [-1]); // [...ids, blocks, 1]
  const lead = ids.shape ? ids.shape.map(() => 0) : [];
  const rows = reshape(mul(codes, scales), [...lead, blocks * w.blockSize]);
  // A padded last block holds zeros past `cols`; cut them off.
  return blocks * w.blockSize === w.cols ? rows : slice(rows, [0], [w.cols], [-1]);
}

function checkShape(path: string, name: string, shape: readonly number[], expected: readonly number[]): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${path}: weight "${name}" has shape [${shape.join(', ')}], expected [${expected.join(', ')}]`);
  }
}

/** Quantises each weight of `reader` when the graph asks for it (small models built in memory). */
export function inlineInt8Params(graph: Graph, reader: RowReadable & { has(name: string): boolean; shape(name: string): readonly number[] }, blockSize: number): Int8ParamSource {
  const cache = new Map<string, Int8Weight>();
  return (name, expected) => {
    const hit = cache.get(name);
    if (hit) return hit;
    if (!reader.has(name)) throw new Error(`${reader.path}: missing weight "${name}"`);
    checkShape(reader.path, name, reader.shape(name), expected);
    const q = quantizeWeightInt8(reader, name, expected, blockSize);
    const blocks = int8BlockCount(q.cols, blockSize);
    const w: Int8Weight = {
      codes: graph.initializer(int8CodesKey(name), 'uint8', [q.rows, blocks, blockSize], q.codes),
      scales: graph.initializer(int8ScalesKey(name), 'float32', [q.rows, blocks], q.scales),
      rows: q.rows,
      cols: q.cols,
      blockSize,
    };
    cache.set(name, w);
    return w;
  };
}

/**
 * Int8 weights already stored in a safetensors file (`<name>.int8` U8 [rows, blocks, blockSize],
 * `<name>.int8_scales` F32 [rows, blocks]) as initializers pointing at their bytes (no copy).
 */
export function fileInt8Params(graph: Graph, file: SafetensorsFile): Int8ParamSource {
  const cache = new Map<string, Int8Weight>();
  return (name, [rows, cols]) => {
    const hit = cache.get(name);
    if (hit) return hit;
    const ck = int8CodesKey(name);
    const sk = int8ScalesKey(name);
    if (!file.has(ck) || !file.has(sk)) throw new Error(`${file.path}: no int8 weight "${name}" (expected tensors "${ck}" and "${sk}")`);
    const codes = file.entry(ck);
    const scales = file.entry(sk);
    if (codes.dtype !== 'U8' || scales.dtype !== 'F32') throw new Error(`${file.path}: int8 weight "${name}" is stored as ${codes.dtype}/${scales.dtype}, expected U8/F32`);
    const blockSize = codes.shape[2] ?? 0;
    checkInt8BlockSize(blockSize);
    const blocks = int8BlockCount(cols, blockSize);
    checkShape(file.path, ck, codes.shape, [rows, blocks, blockSize]);
    checkShape(file.path, sk, scales.shape, [rows, blocks]);
    const w: Int8Weight = {
      codes: graph.externalInitializer(ck, 'uint8', codes.shape, file.path, codes.fileOffset),
      scales: graph.externalInitializer(sk, 'float32', scales.shape, file.path, scales.fileOffset),
      rows,
      cols,
      blockSize,
    };
    cache.set(name, w);
    return w;
  };
}
