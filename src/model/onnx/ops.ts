/**
 * ONNX operators as functions over graph values, each with the shape inference we rely on
 * to catch wiring mistakes while building (validate → infer → emit, one shape per op).
 */
import { Value, type AttrValue, type Dim, type Shape } from './graph.ts';
import type { ElemType } from './proto.ts';

function g(v: Value) {
  return v.graph;
}

function one(v: Value, op: string, inputs: (Value | null)[], attrs: Record<string, AttrValue>, shape: Shape | undefined, dtype?: ElemType, name?: string): Value {
  return g(v).node(op, inputs, attrs, { outShapes: [shape], outDtypes: dtype ? [dtype] : undefined, name })[0]!;
}

export function broadcastShapes(a: Shape | undefined, b: Shape | undefined, what = 'broadcast'): Shape | undefined {
  if (!a || !b) return undefined;
  const n = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < n; i++) {
    // Missing leading dims broadcast as 1; an unknown (null) dim stays unknown.
    const ia = a.length - n + i;
    const ib = b.length - n + i;
    const x = ia >= 0 ? a[ia]! : 1;
    const y = ib >= 0 ? b[ib]! : 1;
    if (x === 1) out.push(y);
    else if (y === 1) out.push(x);
    else if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) throw new Error(`${what}: shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
      out.push(x);
    } else out.push(typeof x === 'number' ? x : typeof y === 'number' ? y : x === y ? x : null);
  }
  return out;
}

function asValue(ref: Value, x: Value | number): Value {
  return typeof x === 'number' ? g(ref).constant(x, ref.dtype) : x;
}

function binary(op: string, a: Value, b: Value | number): Value {
  const bv = asValue(a, b);
  return one(a, op, [a, bv], {}, broadcastShapes(a.shape, bv.shape, op));
}

export const add = (a: Value, b: Value | number) => binary('Add', a, b);
export const sub = (a: Value, b: Value | number) => binary('Sub', a, b);
export const mul = (a: Value, b: Value | number) => binary('Mul', a, b);
export const div = (a: Value, b: Value | number) => binary('Div', a, b);
export const pow = (a: Value, b: Value | number) => binary('Pow', a, b);
export const max = (a: Value, b: Value | number) => binary('Max', a, b);
export const min = (a: Value, b: Value | number) => binary('Min', a, b);

function unary(op: string, x: Value, attrs: Record<string, AttrValue> = {}): Value {
  return one(x, op, [x], attrs, x.shape);
}

export const sqrt = (x: Value) => unary('Sqrt', x);
export const reciprocal = (x: Value) => unary('Reciprocal', x);
export const neg = (x: Value) => unary('Neg', x);
export const exp = (x: Value) => unary('Exp', x);
export const tanh = (x: Value) => unary('Tanh', x);
export const sigmoid = (x: Value) => unary('Sigmoid', x);
export const relu = (x: Value) => unary('Relu', x);
export const abs = (x: Value) => unary('Abs', x);
export const identity = (x: Value) => unary('Identity', x);
export const erf = (x: Value) => unary('Erf', x);
export const sin = (x: Value) => unary('Sin', x);
export const cos = (x: Value) => unary('Cos', x);
export const softmax = (x: Value, axis = -1) => unary('Softmax', x, { axis });
/** GELU; `tanh` selects the tanh approximation (opset 20 Gelu). */
export const gelu = (x: Value, approximate: 'none' | 'tanh' = 'none') => unary('Gelu', x, { approximate });
export const silu = (x: Value) => mul(x, sigmoid(x));

export function clip(x: Value, lo?: number, hi?: number): Value {
  const gr = g(x);
  return one(x, 'Clip', [x, lo === undefined ? null : gr.constant(lo, x.dtype, []), hi === undefined ? null : gr.constant(hi, x.dtype, [])], {}, x.shape);
}

export function cast(x: Value, to: ElemType): Value {
  const codes: Record<ElemType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11, bfloat16: 16 };
  return one(x, 'Cast', [x], { to: codes[to] }, x.shape, to);
}

export function matmul(a: Value, b: Value): Value {
  let shape: Shape | undefined;
  if (a.shape && b.shape && a.shape.length >= 2 && b.shape.length >= 2) {
    const ka = a.shape[a.shape.length - 1];
    const kb = b.shape[b.shape.length - 2];
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) {
      throw new Error(`MatMul: inner dims differ, [${a.shape.join(', ')}] × [${b.shape.join(', ')}]`);
    }
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul batch') ?? [];
    shape = [...batch, a.shape[a.shape.length - 2]!, b.shape[b.shape.length - 1]!];
  }
  return one(a, 'MatMul', [a, b], {}, shape);
}

/** Y = A·Bᵀ + C with B in PyTorch Linear layout [out, in] (no transpose copy of the weight). */
export function gemmTransB(a: Value, w: Value, bias?: Value): Value {
  const ws = w.staticShape();
  if (a.shape && a.shape.length !== 2) throw new Error(`Gemm needs a 2-D input, got [${a.shape.join(', ')}] for "${a.name}"`);
  const k = a.shape?.[1];
  if (typeof k === 'number' && k !== ws[1]) throw new Error(`Gemm: input "${a.name}" has ${k} features, weight "${w.name}" expects ${ws[1]}`);
  return one(a, 'Gemm', bias ? [a, w, bias] : [a, w], { transB: 1 }, [a.shape?.[0] ?? null, ws[0]!]);
}

/** Reshape to a static target (0 copies the input dim, −1 is inferred). */
export function reshape(x: Value, target: readonly number[]): Value {
  let shape: Dim[] = [...target];
  if (x.shape && x.shape.every((d) => typeof d === 'number')) {
    const total = (x.shape as number[]).reduce((p, c) => p * c, 1);
    shape = target.map((d, i) => (d === 0 ? (x.shape![i] as number) : d));
    const known = shape.filter((d) => d !== -1).reduce<number>((p, c) => p * (c as number), 1);
    const inferred = shape.indexOf(-1);
    if (inferred >= 0) shape[inferred] = total / known;
    const n = (shape as number[]).reduce((p, c) => p * c, 1);
    if (n !== total || !Number.isInteger(shape[inferred >= 0 ? inferred : 0])) {
      throw new Error(`Reshape: cannot reshape "${x.name}" [${x.shape.join(', ')}] to [${target.join(', ')}]`);
    }
  } else {
    shape = target.map((d, i) => (d === 0 ? (x.shape?.[i] ?? null) : d === -1 ? null : d));
  }
  return one(x, 'Reshape', [x, g(x).constant(target, 'int64')], {}, shape);
}

export function transpose(x: Value, perm: readonly number[]): Value {
  if (x.shape && perm.length !== x.shape.length) throw new Error(`Transpose: perm [${perm.join(', ')}] for rank-${x.shape.length} "${x.name}"`);
  return one(x, 'Transpose', [x], { perm: [...perm] }, x.shape ? perm.map((p) => x.shape![p]!) : undefined);
}

export function concat(xs: readonly Value[], axis: number): Value {
  const first = xs[0];
  if (!first) throw new Error('Concat of nothing');
  let shape: Dim[] | undefined;
  if (xs.every((x) => x.shape)) {
    const r = first.shape!.length;
    const ax = axis < 0 ? axis + r : axis;
    shape = [...first.shape!];
    let sum: Dim = 0;
    for (const x of xs) {
      const d = x.shape![ax]!;
      sum = typeof sum === 'number' && typeof d === 'number' ? sum + d : null;
    }
    shape[ax] = sum;
  }
  return g(first).node('Concat', xs, { axis }, { outShapes: [shape] })[0]!;
}

/** Static slice along axes. */
export function slice(x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[], steps?: readonly number[]): Value {
  const gr = g(x);
  let shape: Dim[] | undefined;
  if (x.shape) {
    shape = [...x.shape];
    axes.forEach((a, i) => {
      const ax = a < 0 ? a + x.shape!.length : a;
      const d = x.shape![ax];
      const st = steps?.[i] ?? 1;
      if (typeof d === 'number' && st === 1) {
        const clampI = (v: number) => Math.max(0, Math.min(d, v < 0 ? v + d : v));
        shape![ax] = Math.max(0, clampI(ends[i]!) - clampI(starts[i]!));
      } else shape![ax] = null;
    });
  }
  const inputs = [x, gr.constant(starts, 'int64'), gr.constant(ends, 'int64'), gr.constant(axes, 'int64')];
  if (steps) inputs.push(gr.constant(steps, 'int64'));
  return one(x, 'Slice', inputs, {}, shape);
}

/** Slice whose start along one axis is a runtime int64 [1] input (the end is static). */
export function sliceFrom(x: Value, start: Value, end: number, axis: number): Value {
  const gr = g(x);
  const shape = x.shape ? x.shape.map((d, i) => (i === (axis < 0 ? axis + x.shape!.length : axis) ? null : d)) : undefined;
  return one(x, 'Slice', [x, start, gr.constant([end], 'int64'), gr.constant([axis], 'int64')], {}, shape);
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  let shape: Dim[] | undefined;
  if (x.shape) {
    const r = x.shape.length + axes.length;
    const norm = axes.map((a) => (a < 0 ? a + r : a));
    shape = [];
    let k = 0;
    for (let i = 0; i < r; i++) shape.push(norm.includes(i) ? 1 : x.shape[k++]!);
  }
  return one(x, 'Unsqueeze', [x, g(x).constant(axes, 'int64')], {}, shape);
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  let shape: Dim[] | undefined;
  if (x.shape) {
    const norm = axes.map((a) => (a < 0 ? a + x.shape!.length : a));
    shape = x.shape.filter((_, i) => !norm.includes(i));
  }
  return one(x, 'Squeeze', [x, g(x).constant(axes, 'int64')], {}, shape);
}

function reduce(op: string, x: Value, axes: readonly number[], keepdims: boolean): Value {
  let shape: Dim[] | undefined;
  if (x.shape) {
    const norm = axes.map((a) => (a < 0 ? a + x.shape!.length : a));
    shape = keepdims ? x.shape.map((d, i) => (norm.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !norm.includes(i));
  }
  return one(x, op, [x, g(x).constant(axes, 'int64')], { keepdims: keepdims ? 1 : 0 }, shape);
}

export const reduceMean = (x: Value, axes: readonly number[], keepdims = true) => reduce('ReduceMean', x, axes, keepdims);
export const reduceSum = (x: Value, axes: readonly number[], keepdims = true) => reduce('ReduceSum', x, axes, keepdims);
export const reduceMax = (x: Value, axes: readonly number[], keepdims = true) => reduce('ReduceMax', x, axes, keepdims);

/** LayerNormalization over the last axis (opset 17). Without affine parameters, pass no scale/bias. */
export function layerNormalization(x: Value, eps: number, scale?: Value, bias?: Value): Value {
  const gr = g(x);
  const last = x.shape?.[x.shape.length - 1];
  if (typeof last !== 'number' && !scale) throw new Error(`LayerNormalization on "${x.name}" needs a static last dim`);
  const s = scale ?? gr.constant(new Array<number>(last as number).fill(1), 'float32', [last as number]);
  return one(x, 'LayerNormalization', bias ? [x, s, bias] : [x, s], { axis: -1, epsilon: { float: eps } }, x.shape);
}

export function expand(x: Value, shape: readonly number[]): Value {
  return one(x, 'Expand', [x, g(x).constant(shape, 'int64')], {}, broadcastShapes(x.shape, shape, 'Expand'));
}

export function gather(x: Value, indices: Value, axis = 0): Value {
  let shape: Dim[] | undefined;
  if (x.shape && indices.shape) {
    const ax = axis < 0 ? axis + x.shape.length : axis;
    shape = [...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)];
  }
  return one(x, 'Gather', [x, indices], { axis }, shape);
}

/** Zero (or constant) padding with static pads `[begin_0, …, begin_n, end_0, …, end_n]`. */
export function pad(x: Value, pads: readonly number[], mode: 'constant' | 'reflect' | 'edge' = 'constant'): Value {
  let shape: Dim[] | undefined;
  if (x.shape) {
    const r = x.shape.length;
    shape = x.shape.map((d, i) => (typeof d === 'number' ? d + pads[i]! + pads[i + r]! : null));
  }
  return one(x, 'Pad', [x, g(x).constant(pads, 'int64')], { mode }, shape);
}

/**
 * Transposed convolution, input [N, C, ...spatial], weight in PyTorch layout [C, O/group, ...kernel].
 * out = (in − 1)·stride − padBegin − padEnd + dilation·(k − 1) + outputPadding + 1.
 */
export function convTranspose(x: Value, w: Value, bias: Value | undefined, opts: ConvOptions & { outputPadding?: number[] } = {}): Value {
  const ws = w.staticShape();
  const nsp = ws.length - 2;
  const strides = opts.strides ?? new Array<number>(nsp).fill(1);
  const pads = opts.pads ?? new Array<number>(2 * nsp).fill(0);
  const dil = opts.dilations ?? new Array<number>(nsp).fill(1);
  const outPad = opts.outputPadding ?? new Array<number>(nsp).fill(0);
  const group = opts.group ?? 1;
  if (typeof x.shape?.[1] === 'number' && x.shape[1] !== ws[0]) {
    throw new Error(`ConvTranspose: input "${x.name}" has ${x.shape[1]} channels, weight "${w.name}" expects ${ws[0]}`);
  }
  let shape: Dim[] | undefined;
  if (x.shape) {
    shape = [x.shape[0]!, ws[1]! * group];
    for (let i = 0; i < nsp; i++) {
      const d = x.shape[2 + i];
      shape.push(typeof d === 'number' ? (d - 1) * strides[i]! - pads[i]! - pads[i + nsp]! + dil[i]! * (ws[2 + i]! - 1) + outPad[i]! + 1 : null);
    }
  }
  const attrs: Record<string, AttrValue> = { strides, pads, dilations: dil, kernel_shape: ws.slice(2), output_padding: outPad };
  if (group !== 1) attrs.group = group;
  return one(x, 'ConvTranspose', bias ? [x, w, bias] : [x, w], attrs, shape);
}

/**
 * Resize to static `sizes` (all axes). `coordinates` is the ONNX coordinate_transformation_mode:
 * 'align_corners' is PyTorch's align_corners=True, 'half_pixel' its align_corners=False.
 */
export function resize(x: Value, sizes: readonly number[], mode: 'nearest' | 'linear' | 'cubic', coordinates: 'align_corners' | 'half_pixel' | 'asymmetric' = 'half_pixel', cubicA = -0.75): Value {
  if (x.shape && sizes.length !== x.shape.length) throw new Error(`Resize: ${sizes.length} sizes for rank-${x.shape.length} "${x.name}"`);
  const attrs: Record<string, AttrValue> = { mode, coordinate_transformation_mode: coordinates };
  if (mode === 'cubic') attrs.cubic_coeff_a = { float: cubicA };
  return one(x, 'Resize', [x, null, null, g(x).constant(sizes, 'int64')], attrs, [...sizes]);
}

/** InstanceNormalization without affine parameters (PyTorch InstanceNorm2d defaults): per sample and channel over the spatial axes. */
export function instanceNormalization(x: Value, eps: number): Value {
  const c = x.shape?.[1];
  if (typeof c !== 'number') throw new Error(`InstanceNormalization on "${x.name}" needs a static channel dim`);
  const gr = g(x);
  const ones = gr.constant(new Array<number>(c).fill(1), 'float32', [c]);
  const zeros = gr.constant(new Array<number>(c).fill(0), 'float32', [c]);
  return one(x, 'InstanceNormalization', [x, ones, zeros], { epsilon: { float: eps } }, x.shape);
}

export interface ConvOptions {
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  group?: number;
}

/** N-d convolution, input [N, C, ...spatial], weight [O, C/group, ...kernel]. */
export function conv(x: Value, w: Value, bias: Value | undefined, opts: ConvOptions = {}): Value {
  const ws = w.staticShape();
  const nsp = ws.length - 2;
  const strides = opts.strides ?? new Array<number>(nsp).fill(1);
  const pads = opts.pads ?? new Array<number>(2 * nsp).fill(0);
  const dil = opts.dilations ?? new Array<number>(nsp).fill(1);
  let shape: Dim[] | undefined;
  if (x.shape) {
    shape = [x.shape[0]!, ws[0]!];
    for (let i = 0; i < nsp; i++) {
      const d = x.shape[2 + i];
      shape.push(typeof d === 'number' ? Math.floor((d + pads[i]! + pads[i + nsp]! - dil[i]! * (ws[2 + i]! - 1) - 1) / strides[i]!) + 1 : null);
    }
  }
  const attrs: Record<string, AttrValue> = { strides, pads, dilations: dil, kernel_shape: ws.slice(2) };
  if (opts.group && opts.group !== 1) attrs.group = opts.group;
  return one(x, 'Conv', bias ? [x, w, bias] : [x, w], attrs, shape);
}

/** Element-wise a == b (bool output, broadcasting). */
export function equal(a: Value, b: Value | number): Value {
  const bv = asValue(a, b);
  return one(a, 'Equal', [a, bv], {}, broadcastShapes(a.shape, bv.shape, 'Equal'), 'bool');
}

/** Element-wise cond ? a : b (broadcasting over all three). */
export function where(cond: Value, a: Value, b: Value | number): Value {
  const bv = asValue(a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape, 'Where'), bv.shape, 'Where');
  return one(a, 'Where', [cond, a, bv], {}, shape, a.dtype);
}
