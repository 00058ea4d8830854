/**
 * A small typed builder for ONNX graphs. Values carry their element type and, where known,
 * a static shape; ops (see ops.ts) are plain functions over values; `toModel()` emits a
 * ModelProto that ORT, Netron and onnx.checker read.
 */
import { PLAIN_KERNELS, type KernelSet } from './kernels.ts';
import { ELEM_SIZE, ONNX_DTYPE, modelProtoType, type ElemType } from './proto.ts';

/** A dimension: a number when static, a name when symbolic, null when unknown. */
export type Dim = number | string | null;
export type Shape = readonly Dim[];

export class Value {
  readonly graph: Graph;
  readonly name: string;
  readonly dtype: ElemType;
  readonly shape: Shape | undefined;

  constructor(graph: Graph, name: string, dtype: ElemType, shape: Shape | undefined) {
    this.graph = graph;
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
  }

  get rank(): number | undefined {
    return this.shape?.length;
  }

  /** Static shape, or an error naming the value (for ops whose construction needs it). */
  staticShape(): number[] {
    if (!this.shape || this.shape.some((d) => typeof d !== 'number')) {
      throw new Error(`value "${this.name}" has no static shape (${JSON.stringify(this.shape)})`);
    }
    return this.shape as number[];
  }
}

export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] } | { ints: number[] };

export interface NodeOptions {
  domain?: string;
  outputs?: number;
  /** Output shapes/dtypes when known (shape inference lives in ops.ts). */
  outShapes?: (Shape | undefined)[];
  outDtypes?: ElemType[];
  name?: string;
}

/** Raw bytes of an initializer, inline or pointing into an external file. */
export type { Initializer };

export type InitializerData =
  | { kind: 'inline'; bytes: Uint8Array }
  | { kind: 'external'; path: string; offset: number; length: number }
  /**
   * Bytes computed when the model is serialised, one tensor at a time (e.g. the float16 copy of
   * a float32 weight that stays in its file, see float16.ts), so a converted model never holds
   * all its converted weights at once. `source` names the weight file they derive from, if any.
   */
  | { kind: 'derived'; length: number; source?: string; read: () => Uint8Array };

interface Initializer {
  name: string;
  dtype: ElemType;
  dims: number[];
  data: InitializerData;
}

/** One node as the graph stores it (read by graph passes such as float16.ts). */
export interface NodeRecord {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs: Record<string, AttrValue>;
  /** Element type of each output. */
  outDtypes: ElemType[];
  /** Set when the node was built inside fp32Region: why it must compute in float32. */
  fp32Reason?: string;
}

/** A graph input or output: name, element type and shape. */
export interface ValueInfo {
  name: string;
  dtype: ElemType;
  shape: Shape | undefined;
}

/** Everything a graph is made of, in order (what a graph pass reads and returns). */
export interface GraphParts {
  name: string;
  opset: number;
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  nodes: readonly NodeRecord[];
  initializers: readonly Initializer[];
}

export const MS_DOMAIN = 'com.microsoft';

export class Graph {
  readonly name: string;
  readonly opset: number;
  /** Which fused kernels the builders emit for this graph (kernels.ts); plain ops by default. */
  readonly kernels: KernelSet;
  readonly #inputs: Value[] = [];
  readonly #outputs: Value[] = [];
  readonly #nodes: NodeRecord[] = [];
  readonly #inits = new Map<string, Initializer>();
  readonly #names = new Set<string>();
  readonly #scope: string[] = [];
  readonly #constCache = new Map<string, Value>();
  #counter = 0;
  readonly #domains = new Set<string>();
  readonly #fp32Reasons: string[] = [];

  constructor(name: string, opts: { opset?: number; kernels?: KernelSet } = {}) {
    this.name = name;
    this.opset = opts.opset ?? 21;
    this.kernels = opts.kernels ?? PLAIN_KERNELS;
  }

  /** Run `fn` with node and value names prefixed by `prefix/` (readable graphs in Netron). */
  scope<T>(prefix: string, fn: () => T): T {
    this.#scope.push(prefix);
    try {
      return fn();
    } finally {
      this.#scope.pop();
    }
  }

  /**
   * Run `fn` with every node it builds marked as needing float32 arithmetic, for `reason` (say
   * why, e.g. which intermediate overflows or loses its meaning in half precision). Builders
   * compute in float32 anyway; the mark is what the float16 pass (float16.ts) honours: these
   * nodes keep float32 inputs and outputs, with Casts where they meet half-precision nodes.
   */
  fp32Region<T>(reason: string, fn: () => T): T {
    if (!reason.trim()) throw new Error(`graph "${this.name}": an fp32 region needs a reason`);
    this.#fp32Reasons.push(reason);
    try {
      return fn();
    } finally {
      this.#fp32Reasons.pop();
    }
  }

  uniqueName(base: string): string {
    const scoped = this.#scope.length ? `${this.#scope.join('/')}/${base}` : base;
    let name = scoped;
    while (this.#names.has(name)) name = `${scoped}_${++this.#counter}`;
    this.#names.add(name);
    return name;
  }

  #claim(name: string): void {
    if (this.#names.has(name)) throw new Error(`graph "${this.name}": name "${name}" is already used`);
    this.#names.add(name);
  }

  input(name: string, dtype: ElemType, shape: Shape): Value {
    this.#claim(name);
    const v = new Value(this, name, dtype, shape);
    this.#inputs.push(v);
    return v;
  }

  /** Marks `v` as a graph output named `name` (an Identity is inserted when renaming). */
  output(v: Value, name: string = v.name): Value {
    let out = v;
    if (name !== v.name || this.#outputs.some((o) => o.name === name) || this.#inputs.includes(v) || this.#inits.has(v.name)) {
      this.#claim(name);
      this.#nodes.push({ opType: 'Identity', domain: '', inputs: [v.name], outputs: [name], name: `${name}/Identity`, attrs: {}, outDtypes: [v.dtype] });
      out = new Value(this, name, v.dtype, v.shape);
    }
    this.#outputs.push(out);
    return out;
  }

  /** An initializer from bytes already in memory (little-endian, row-major). */
  initializer(name: string, dtype: ElemType, dims: readonly number[], data: ArrayBufferView): Value {
    const expected = dims.reduce((a, b) => a * b, 1) * ELEM_SIZE[dtype];
    if (data.byteLength !== expected) {
      throw new Error(`initializer "${name}": ${data.byteLength} bytes for ${dtype}[${dims.join(', ')}] (expected ${expected})`);
    }
    this.#claim(name);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.#inits.set(name, { name, dtype, dims: [...dims], data: { kind: 'inline', bytes } });
    return new Value(this, name, dtype, dims);
  }

  /** An initializer whose bytes stay in a file (e.g. straight inside a safetensors file). */
  externalInitializer(name: string, dtype: ElemType, dims: readonly number[], path: string, offset: number): Value {
    this.#claim(name);
    const length = dims.reduce((a, b) => a * b, 1) * ELEM_SIZE[dtype];
    this.#inits.set(name, { name, dtype, dims: [...dims], data: { kind: 'external', path, offset, length } });
    return new Value(this, name, dtype, dims);
  }

  /** A small constant (deduplicated by value). */
  constant(values: number | readonly number[], dtype: ElemType = 'float32', dims?: readonly number[]): Value {
    const arr = typeof values === 'number' ? [values] : values;
    const shape = dims ?? (typeof values === 'number' ? [] : [arr.length]);
    const key = `${dtype}:${shape.join('x')}:${arr.join(',')}`;
    const cached = this.#constCache.get(key);
    if (cached) return cached;
    let data: ArrayBufferView;
    if (dtype === 'float32') data = Float32Array.from(arr);
    else if (dtype === 'int64') data = BigInt64Array.from(arr, (v) => BigInt(v));
    else if (dtype === 'int32') data = Int32Array.from(arr);
    else if (dtype === 'bool' || dtype === 'uint8') data = Uint8Array.from(arr);
    else throw new Error(`constant of dtype ${dtype} not supported`);
    // Constants are shared across scopes, so their names are not scoped.
    let name = `const_${this.#constCache.size}`;
    while (this.#names.has(name)) name = `const_${this.#constCache.size}_${++this.#counter}`;
    const v = this.initializer(name, dtype, shape, data);
    this.#constCache.set(key, v);
    return v;
  }

  node(opType: string, inputs: readonly (Value | null)[], attrs: Record<string, AttrValue> = {}, opts: NodeOptions = {}): Value[] {
    for (const i of inputs) if (i && i.graph !== this) throw new Error(`${opType}: input "${i.name}" belongs to another graph`);
    const domain = opts.domain ?? '';
    if (domain) this.#domains.add(domain);
    const nodeName = this.uniqueName(opts.name ?? opType);
    const n = opts.outputs ?? 1;
    const outs: Value[] = [];
    for (let k = 0; k < n; k++) {
      const outName = n === 1 ? nodeName : `${nodeName}:${k}`;
      if (n !== 1) this.#claim(outName);
      const dtype = opts.outDtypes?.[k] ?? inputs.find((x): x is Value => x !== null)?.dtype ?? 'float32';
      outs.push(new Value(this, outName, dtype, opts.outShapes?.[k]));
    }
    const fp32Reason = this.#fp32Reasons[this.#fp32Reasons.length - 1];
    this.#nodes.push({
      opType,
      domain,
      inputs: inputs.map((i) => (i ? i.name : '')),
      outputs: outs.map((o) => o.name),
      name: nodeName,
      attrs,
      outDtypes: outs.map((o) => o.dtype),
      ...(fp32Reason !== undefined ? { fp32Reason } : {}),
    });
    return outs;
  }

  /** The graph's parts in order; a pass builds its result with Graph.fromParts. */
  parts(): GraphParts {
    const info = (v: Value): ValueInfo => ({ name: v.name, dtype: v.dtype, shape: v.shape });
    return {
      name: this.name,
      opset: this.opset,
      inputs: this.#inputs.map(info),
      outputs: this.#outputs.map(info),
      nodes: this.#nodes.map((n) => ({ ...n, inputs: [...n.inputs], outputs: [...n.outputs], outDtypes: [...n.outDtypes] })),
      initializers: [...this.#inits.values()],
    };
  }

  /**
   * A graph from parts a pass produced. Names must be unique and every output must be produced
   * by a node (checked here, so a faulty pass fails at build time, not inside ORT).
   */
  static fromParts(parts: GraphParts): Graph {
    const g = new Graph(parts.name, { opset: parts.opset });
    for (const i of parts.inputs) {
      g.#claim(i.name);
      g.#inputs.push(new Value(g, i.name, i.dtype, i.shape));
    }
    for (const init of parts.initializers) {
      g.#claim(init.name);
      g.#inits.set(init.name, { ...init, dims: [...init.dims] });
    }
    const produced = new Set<string>();
    for (const n of parts.nodes) {
      for (const o of n.outputs) {
        g.#claim(o);
        produced.add(o);
      }
      if (n.domain) g.#domains.add(n.domain);
      g.#nodes.push(n);
    }
    for (const o of parts.outputs) {
      if (!produced.has(o.name)) throw new Error(`graph "${parts.name}": output "${o.name}" is produced by no node`);
      g.#outputs.push(new Value(g, o.name, o.dtype, o.shape));
    }
    return g;
  }

  get nodeCount(): number {
    return this.#nodes.length;
  }

  get inputs(): readonly Value[] {
    return this.#inputs;
  }

  get outputs(): readonly Value[] {
    return this.#outputs;
  }

  /** Total bytes of all initializers. */
  get weightBytes(): number {
    let n = 0;
    for (const i of this.#inits.values()) n += initializerBytes(i);
    return n;
  }

  initializers(): readonly Initializer[] {
    return [...this.#inits.values()];
  }

  /**
   * The ModelProto as a plain object. `externalLocation(init)` decides where each external
   * initializer's bytes are said to live (a path relative to the model file).
   */
  toModelObject(opts: {
    /** Where an initializer's bytes live in an external-data file (any initializer, inline or not). */
    externalLocation?: (init: Initializer) => { location: string; offset: number } | undefined;
    /** Bytes for an external initializer that gets no location (read into the model). */
    inlineExternal?: (init: Initializer) => Uint8Array;
    /** Only initializers of at least this many bytes are offered to externalLocation. */
    inlineLarge?: number;
  } = {}): Record<string, unknown> {
    const valueInfo = (v: Value) => ({
      name: v.name,
      type: {
        tensor_type: {
          elem_type: ONNX_DTYPE[v.dtype],
          shape: v.shape ? { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : d === null ? {} : { dim_param: d })) } : undefined,
        },
      },
    });
    const initializer = [...this.#inits.values()].map((init) => {
      const base = { name: init.name, data_type: ONNX_DTYPE[init.dtype], dims: init.dims };
      const len = initializerBytes(init);
      const loc = len >= (opts.inlineLarge ?? 0) ? opts.externalLocation?.(init) : undefined;
      if (!loc && init.data.kind === 'inline') return { ...base, raw_data: init.data.bytes };
      if (!loc && init.data.kind === 'derived') return { ...base, raw_data: init.data.read() };
      if (loc) {
        return {
          ...base,
          data_location: 1,
          external_data: [
            { key: 'location', value: loc.location },
            { key: 'offset', value: String(loc.offset) },
            { key: 'length', value: String(len) },
          ],
        };
      }
      if (!opts.inlineExternal) throw new Error(`initializer "${init.name}" is external but no location was given`);
      return { ...base, raw_data: opts.inlineExternal(init) };
    });
    const node = this.#nodes.map((n) => ({
      input: n.inputs,
      output: n.outputs,
      name: n.name,
      op_type: n.opType,
      domain: n.domain,
      attribute: Object.entries(n.attrs).map(([name, v]) => encodeAttr(name, v)),
    }));
    const opset_import = [{ domain: '', version: this.opset }, ...[...this.#domains].map((d) => ({ domain: d, version: 1 }))];
    return {
      ir_version: 10,
      producer_name: 'vace-live',
      producer_version: '0.1.0',
      opset_import,
      graph: {
        name: this.name,
        node,
        initializer,
        input: this.#inputs.map(valueInfo),
        output: this.#outputs.map(valueInfo),
      },
    };
  }

  /** Serialises the model; external initializers are read into the model (for small graphs and tests). */
  toBytes(opts: Parameters<Graph['toModelObject']>[0] = {}): Uint8Array {
    const type = modelProtoType();
    const obj = this.toModelObject(opts);
    const err = type.verify(obj);
    if (err) throw new Error(`graph "${this.name}" does not fit the ONNX schema: ${err}`);
    return type.encode(type.fromObject(obj)).finish();
  }
}

/** Byte length of an initializer's data, wherever it lives. */
export function initializerBytes(init: Initializer): number {
  return init.data.kind === 'inline' ? init.data.bytes.byteLength : init.data.length;
}

function encodeAttr(name: string, v: AttrValue): Record<string, unknown> {
  // AttributeType numbers: FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8.
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}=${v}: use {float: x} for float attributes`);
    return { name, type: 2, i: v };
  }
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: 8, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: 7, ints: v as number[] };
  }
  if ('float' in v) return { name, type: 1, f: v.float };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  return { name, type: 7, ints: v.ints };
}
