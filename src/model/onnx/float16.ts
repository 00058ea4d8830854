/**
 * The float16 variant of a finished float32 graph: weights, constants and node outputs become
 * half precision, except the nodes a builder marked with `graph.fp32Region(reason, …)`, which
 * keep float32 inputs and outputs. Casts are inserted where the two meet (one per value and
 * direction, shared by every consumer). Graph inputs and outputs stay float32 unless listed in
 * `float16IO`, so the host API of a model does not change with its precision.
 *
 * Rules, in order of precedence:
 *  - a node in an fp32 region computes in float32;
 *  - a data-movement node (Reshape, Transpose, Slice, Concat, …) outside a region keeps the
 *    precision its inputs already have, so shape plumbing between two fp32 regions (RoPE tables,
 *    the residual stream) never takes a lossy round trip through half precision;
 *  - every other node computes in float16.
 * Only values the builder typed float32 are converted; integer, bool and already-float16 values
 * pass through untouched. Float32 weights are converted one tensor at a time when the model is
 * serialised (never all at once), whether their bytes are inline or in a weight file; finite values
 * beyond half precision's range saturate to ±65504 instead of becoming infinite.
 *
 * Outside the graphs nothing changes with the precision: the timestep sinusoid and RoPE tables
 * (wan/embeddings.ts) are computed on the host in float64 and fed as float32, and the scheduler's
 * arithmetic (sigmas, x0, re-noising in src/pipeline) is host TypeScript in float64/float32.
 */
import { f32ToF16 } from '../weights/dtype.ts';
import { readFileRange } from '../weights/read-range.ts';
import { Graph, initializerBytes, type GraphParts, type Initializer, type NodeRecord, type ValueInfo } from './graph.ts';
import { ONNX_DTYPE, type ElemType } from './proto.ts';

export interface Float16Options {
  /** Graph inputs and outputs (by name) that are float16 at the boundary instead of float32. */
  float16IO?: readonly string[];
}

type Float = 'float32' | 'float16';

/** Ops that only move, select or reshape data: their float inputs are copied, never combined arithmetically. */
const DATA_MOVEMENT = new Set(['Reshape', 'Transpose', 'Slice', 'Squeeze', 'Unsqueeze', 'Concat', 'Gather', 'Expand', 'Identity', 'Flatten', 'Split', 'Pad', 'Where']);

/** Ops that accept an input of any element type (their output type does not follow it). */
const ANY_INPUT = new Set(['Cast', 'Shape', 'Size']);

/** Inputs whose ONNX type is tensor(float) only, whatever the data's precision (Resize/Upsample `scales`). */
const FLOAT32_INPUTS: Readonly<Record<string, readonly number[]>> = { Resize: [2], Upsample: [1] };

/** Outputs that are float32 whatever the input precision (LayerNormalization's Mean and InvStdDev: stash_type float32). */
const FLOAT32_OUTPUTS: Readonly<Record<string, readonly number[]>> = { LayerNormalization: [1, 2], SimplifiedLayerNormalization: [1] };

/** Ops whose output element type is an attribute this pass does not rewrite. */
const TYPE_FROM_ATTRIBUTE = new Set(['Constant', 'ConstantOfShape', 'EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial']);

const HALF_MAX = 65504;

export function toFloat16(graph: Graph, opts: Float16Options = {}): Graph {
  const parts = graph.parts();
  const io16 = checkFloat16IO(parts, opts.float16IO ?? []);
  const inits = new Map(parts.initializers.map((i) => [i.name, i]));
  const used = new Set<string>([...parts.inputs.map((i) => i.name), ...inits.keys(), ...parts.nodes.flatMap((n) => n.outputs)]);
  const fresh = (base: string): string => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };

  // 1. The precision every node computes in, and the dtype every non-initializer value ends up with.
  const valueDtype = new Map<string, ElemType>();
  for (const i of parts.inputs) valueDtype.set(i.name, i.dtype === 'float32' && io16.has(i.name) ? 'float16' : i.dtype);
  const precision = new Map<NodeRecord, Float>();
  for (const n of parts.nodes) {
    if (TYPE_FROM_ATTRIBUTE.has(n.opType) && n.outDtypes.includes('float32')) {
      throw new Error(`float16 pass: node "${n.name}" (${n.opType}) sets its float32 output type by attribute, which this pass does not convert`);
    }
    const p = nodePrecision(n, valueDtype, inits);
    precision.set(n, p);
    n.outputs.forEach((o, k) => valueDtype.set(o, outputDtype(n, k, p)));
  }

  // 2. Which precisions each float32 initializer is read in.
  const wanted = new Map<string, Set<Float>>();
  for (const n of parts.nodes) {
    n.inputs.forEach((name, idx) => {
      if (inits.get(name)?.dtype !== 'float32') return;
      const want = FLOAT32_INPUTS[n.opType]?.includes(idx) ? 'float32' : precision.get(n)!;
      let set = wanted.get(name);
      if (!set) wanted.set(name, (set = new Set()));
      set.add(want);
    });
  }

  // 3. Emit. `available` maps an original value name to its names in the new graph, per dtype.
  const available = new Map<string, Map<ElemType, string>>();
  const provide = (name: string, dtype: ElemType, as: string) => {
    let m = available.get(name);
    if (!m) available.set(name, (m = new Map()));
    m.set(dtype, as);
  };
  const initializers: Initializer[] = [];
  for (const init of parts.initializers) {
    const want = wanted.get(init.name);
    if (init.dtype !== 'float32' || !want?.has('float16')) {
      initializers.push(init);
      provide(init.name, init.dtype, init.name);
      continue;
    }
    initializers.push(halfInitializer(init));
    provide(init.name, 'float16', init.name);
    if (want.has('float32')) {
      const copy = fresh(`${init.name}/fp32`);
      initializers.push({ ...init, name: copy });
      provide(init.name, 'float32', copy);
    }
  }
  for (const i of parts.inputs) provide(i.name, valueDtype.get(i.name)!, i.name);

  const nodes: NodeRecord[] = [];
  /** `name` in `dtype`, through a Cast emitted once per value and direction. */
  const valueAs = (name: string, dtype: Float): string => {
    const forms = available.get(name);
    if (!forms) throw new Error(`float16 pass: "${name}" is read before it is defined`);
    const hit = forms.get(dtype);
    if (hit !== undefined) return hit;
    const from = forms.get(dtype === 'float16' ? 'float32' : 'float16');
    if (from === undefined) throw new Error(`float16 pass: "${name}" is not a float value`);
    const out = fresh(`${name}/to_${dtype === 'float16' ? 'fp16' : 'fp32'}`);
    nodes.push({ opType: 'Cast', domain: '', inputs: [from], outputs: [out], name: out, attrs: { to: ONNX_DTYPE[dtype] }, outDtypes: [dtype] });
    provide(name, dtype, out);
    return out;
  };
  const anyForm = (name: string, prefer: Float): string => {
    const forms = available.get(name);
    if (!forms) throw new Error(`float16 pass: "${name}" is read before it is defined`);
    return forms.get(prefer) ?? forms.values().next().value!;
  };

  const boundary = new Map(parts.outputs.map((o) => [o.name, o.dtype === 'float32' && io16.has(o.name) ? ('float16' as const) : o.dtype]));
  for (const n of parts.nodes) {
    const p = precision.get(n)!;
    const inputs = n.inputs.map((name, idx) => {
      if (name === '') return '';
      if (originalDtype(name, parts, inits) !== 'float32' || ANY_INPUT.has(n.opType)) return anyForm(name, p);
      return valueAs(name, FLOAT32_INPUTS[n.opType]?.includes(idx) ? 'float32' : p);
    });
    const outDtypes = n.outputs.map((o) => valueDtype.get(o)!);
    const attrs = n.opType === 'Cast' && n.domain === '' && n.attrs.to === ONNX_DTYPE.float32 ? { ...n.attrs, to: ONNX_DTYPE[p] } : n.attrs;
    const castsAfter: [string, string, ElemType][] = [];
    const outputs = n.outputs.map((o, k) => {
      const dtype = outDtypes[k]!;
      const atBoundary = boundary.get(o);
      if (atBoundary === undefined || atBoundary === dtype) {
        provide(o, dtype, o);
        return o;
      }
      // A graph output computed in the other precision: the node writes a renamed value, a Cast
      // produces the output under its own name and type.
      const inner = fresh(`${o}/${dtype === 'float16' ? 'fp16' : 'fp32'}`);
      provide(o, dtype, inner);
      castsAfter.push([inner, o, atBoundary]);
      return inner;
    });
    nodes.push({ ...n, inputs, outputs, attrs, outDtypes });
    for (const [inner, o, dtype] of castsAfter) {
      nodes.push({ opType: 'Cast', domain: '', inputs: [inner], outputs: [o], name: fresh(`${o}/Cast`), attrs: { to: ONNX_DTYPE[dtype] }, outDtypes: [dtype] });
      provide(o, dtype, o);
    }
  }

  const retype = (v: ValueInfo): ValueInfo => (v.dtype === 'float32' && io16.has(v.name) ? { ...v, dtype: 'float16' } : v);
  return Graph.fromParts({ ...parts, inputs: parts.inputs.map(retype), outputs: parts.outputs.map(retype), nodes, initializers });
}

function checkFloat16IO(parts: GraphParts, names: readonly string[]): Set<string> {
  const floatIO = new Set([...parts.inputs, ...parts.outputs].filter((v) => v.dtype === 'float32').map((v) => v.name));
  const unknown = names.filter((n) => !floatIO.has(n));
  if (unknown.length) throw new Error(`float16 pass on "${parts.name}": ${unknown.map((n) => `"${n}"`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a float32 input or output of the graph`);
  return new Set(names);
}

function originalDtype(name: string, parts: GraphParts, inits: Map<string, Initializer>): ElemType | undefined {
  return inits.get(name)?.dtype ?? originalTypes(parts).get(name);
}

const typeCache = new WeakMap<GraphParts, Map<string, ElemType>>();
function originalTypes(parts: GraphParts): Map<string, ElemType> {
  let m = typeCache.get(parts);
  if (!m) {
    m = new Map(parts.inputs.map((i) => [i.name, i.dtype]));
    for (const n of parts.nodes) n.outputs.forEach((o, k) => m!.set(o, n.outDtypes[k]!));
    typeCache.set(parts, m);
  }
  return m;
}

function nodePrecision(n: NodeRecord, valueDtype: Map<string, ElemType>, inits: Map<string, Initializer>): Float {
  if (n.fp32Reason !== undefined) return 'float32';
  if (!DATA_MOVEMENT.has(n.opType)) return 'float16';
  // Keep the precision the (non-constant) float inputs already have; half if any is half.
  let sawFloat = false;
  for (const name of n.inputs) {
    if (name === '' || inits.has(name)) continue;
    const d = valueDtype.get(name);
    if (d === 'float16') return 'float16';
    if (d === 'float32') sawFloat = true;
  }
  return sawFloat ? 'float32' : 'float16';
}

function outputDtype(n: NodeRecord, k: number, p: Float): ElemType {
  const d = n.outDtypes[k]!;
  if (d !== 'float32' || FLOAT32_OUTPUTS[n.opType]?.includes(k)) return d;
  return p;
}

/** The float16 copy of a float32 initializer, converted when the model is serialised. */
function halfInitializer(init: Initializer): Initializer {
  const count = init.dims.reduce((a, b) => a * b, 1);
  const source = init.data.kind === 'external' ? init.data.path : init.data.kind === 'derived' ? init.data.source : undefined;
  const readF32 = (): Float32Array => {
    const d = init.data;
    const bytes = d.kind === 'inline' ? d.bytes : d.kind === 'derived' ? d.read() : readFileRange(d.path, d.offset, d.length, `initializer "${init.name}"`);
    if (bytes.byteLength !== initializerBytes(init)) throw new Error(`initializer "${init.name}": ${bytes.byteLength} bytes, ${initializerBytes(init)} expected`);
    // Copy when unaligned (an inline tensor may sit at any offset of its buffer).
    return bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, count) : new Float32Array(bytes.slice().buffer);
  };
  return {
    name: init.name,
    dtype: 'float16',
    dims: [...init.dims],
    data: {
      kind: 'derived',
      length: count * 2,
      ...(source !== undefined ? { source } : {}),
      read: () => {
        const half = f32ToF16(saturateToHalfRange(readF32()));
        return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
      },
    },
  };
}

/** Finite values past ±65504 clamped to it (a copy only when one is found); infinities and NaN stay. */
function saturateToHalfRange(x: Float32Array): Float32Array {
  let out: Float32Array | undefined;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (Number.isFinite(v) && Math.abs(v) > HALF_MAX) {
      out ??= Float32Array.from(x);
      out[i] = Math.sign(v) * HALF_MAX;
    }
  }
  return out ?? x;
}
