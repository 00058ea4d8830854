/**
 * PyTorch checkpoint reader for the zip format torch.save has written since 1.6:
 * `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (one raw storage per key) and
 * `<archive>/byteorder` ("little" when absent). Tensors in the pickle are views
 * (storage, storage_offset, size, stride) of storages that are read lazily, only the span a view
 * covers, when a tensor is asked for.
 */
import { bf16ToF32, f16ToF32 } from './dtype.ts';
import { basicGlobal, PyCallable, unpickle, UnsupportedGlobalError } from './pickle.ts';
import type { SafetensorsDType } from './safetensors.ts';
import { ZipArchive } from './zip.ts';
import { numel, type F32Tensor, type Tensor } from '../tensor.ts';

/** Element types use the safetensors names so every checkpoint format reports dtypes alike. */
export type TorchDType = SafetensorsDType;

/** `torch.<Name>Storage` → element type and size. */
const STORAGE_TYPES: Record<string, { dtype: TorchDType; itemSize: number }> = {
  FloatStorage: { dtype: 'F32', itemSize: 4 },
  DoubleStorage: { dtype: 'F64', itemSize: 8 },
  HalfStorage: { dtype: 'F16', itemSize: 2 },
  BFloat16Storage: { dtype: 'BF16', itemSize: 2 },
  LongStorage: { dtype: 'I64', itemSize: 8 },
  IntStorage: { dtype: 'I32', itemSize: 4 },
  ShortStorage: { dtype: 'I16', itemSize: 2 },
  CharStorage: { dtype: 'I8', itemSize: 1 },
  ByteStorage: { dtype: 'U8', itemSize: 1 },
  BoolStorage: { dtype: 'BOOL', itemSize: 1 },
};

const FLOAT_DTYPES: ReadonlySet<TorchDType> = new Set(['F32', 'F16', 'BF16', 'F64']);

export function isFloatDType(d: TorchDType): boolean {
  return FLOAT_DTYPES.has(d);
}

/** The value a `torch.<Name>Storage` global unpickles to: a storage type tag. */
class StorageType {
  constructor(
    readonly name: string,
    readonly dtype: TorchDType,
    readonly itemSize: number,
  ) {}
}

/** Marker for the tensor classes `_rebuild_from_type_v2` may name. */
class TensorClass {
  constructor(readonly name: string) {}
}

/**
 * An object of a class outside the allowed table, kept only as its name and arguments; made only
 * when `PthOptions.allowUnknownGlobals` is set, so that the tensors beside it can still be read.
 */
export class OpaquePyObject {
  state: unknown;
  constructor(
    readonly qualname: string,
    readonly args: readonly unknown[],
  ) {}
  setState(state: unknown): void {
    this.state = state;
  }
}

export interface PthOptions {
  /**
   * Read files whose non-tensor content uses classes outside the table (e.g. a numpy scalar or a
   * config object next to the state dict): such objects become OpaquePyObject and the globals are
   * listed in `PthFile.unknownGlobals`. Off by default: an unknown global is an error.
   */
  readonly allowUnknownGlobals?: boolean;
}

/** One storage of the archive: a flat run of `numel` elements in `<archive>/data/<key>`. */
export class PthStorage {
  readonly #zip: ZipArchive;
  readonly #entry: string;
  readonly #bigEndian: boolean;

  constructor(
    zip: ZipArchive,
    entry: string,
    readonly key: string,
    readonly dtype: TorchDType,
    readonly itemSize: number,
    readonly numel: number,
    bigEndian: boolean,
  ) {
    this.#zip = zip;
    this.#entry = entry;
    this.#bigEndian = bigEndian;
  }

  /** Raw little-endian bytes of elements [start, start + count). */
  readElements(start: number, count: number): Buffer {
    if (start < 0 || count < 0 || start + count > this.numel) {
      throw new Error(`${this.#zip.path}: elements [${start}, ${start + count}) are outside storage "${this.key}" of ${this.numel} elements`);
    }
    const b = this.#zip.read(this.#entry, start * this.itemSize, count * this.itemSize);
    if (this.#bigEndian && this.itemSize > 1) {
      if (this.itemSize === 2) b.swap16();
      else if (this.itemSize === 4) b.swap32();
      else b.swap64();
    }
    return b;
  }
}

/** A tensor as torch stores it: a strided view of a storage. */
export class PthTensor {
  constructor(
    readonly storage: PthStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
  ) {}

  get dtype(): TorchDType {
    return this.storage.dtype;
  }
}

type TypedArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

function typedView(dtype: TorchDType, b: Buffer, count: number): TypedArray {
  const ab = b.buffer;
  const o = b.byteOffset;
  switch (dtype) {
    case 'F32':
      return new Float32Array(ab, o, count);
    case 'F64':
      return new Float64Array(ab, o, count);
    case 'F16':
    case 'BF16':
    case 'I16':
      return dtype === 'I16' ? new Int16Array(ab, o, count) : new Uint16Array(ab, o, count);
    case 'I64':
      return new BigInt64Array(ab, o, count);
    case 'I32':
      return new Int32Array(ab, o, count);
    case 'I8':
      return new Int8Array(ab, o, count);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(ab, o, count);
  }
}

/** Copies a strided view (relative to `src[0]`) into a contiguous array of the same type. */
function gather<T extends TypedArray>(src: T, shape: readonly number[], stride: readonly number[], out: T): T {
  const n = out.length;
  const nd = shape.length;
  if (n === 0) return out;
  if (nd === 0) {
    out[0] = src[0]!;
    return out;
  }
  const last = nd - 1;
  const lastSize = shape[last]!;
  const lastStride = stride[last]!;
  const idx = new Array<number>(nd).fill(0);
  const o = out as unknown as { [i: number]: number | bigint };
  const s = src as unknown as { [i: number]: number | bigint };
  let base = 0;
  let w = 0;
  while (w < n) {
    for (let j = 0; j < lastSize; j++) o[w++] = s[base + j * lastStride]!;
    let d = last - 1;
    for (; d >= 0; d--) {
      idx[d]!++;
      base += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      base -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
    if (d < 0) break;
  }
  return out;
}

function asIndex(v: unknown, what: string): number {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error(`${what} must be a non-negative integer, got ${String(v)}`);
  return n;
}

function asIndexList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) throw new Error(`${what} must be a tuple of integers`);
  return v.map((x, i) => asIndex(x, `${what}[${i}]`));
}

export class PthFile {
  readonly path: string;
  /** The archive's top folder name (torch uses the file's stem). */
  readonly archiveName: string;
  /** The unpickled object: Maps, arrays, numbers, strings and PthTensors. */
  readonly root: unknown;
  /** Globals outside the table that were kept opaque (only with allowUnknownGlobals). */
  readonly unknownGlobals: string[] = [];
  readonly #zip: ZipArchive;
  #tensors: Map<string, PthTensor> | undefined;

  constructor(path: string, opts: PthOptions = {}) {
    this.path = path;
    const zip = new ZipArchive(path);
    this.#zip = zip;
    try {
      const pkls = zip.names().filter((n) => /^[^/]+\/data\.pkl$/.test(n));
      if (pkls.length !== 1) {
        throw new Error(
          pkls.length === 0
            ? `${path}: zip archive has no <archive>/data.pkl, so it is not a torch.save checkpoint`
            : `${path}: zip archive has several data.pkl entries (${pkls.join(', ')})`,
        );
      }
      this.archiveName = pkls[0]!.slice(0, -'/data.pkl'.length);
      const prefix = `${this.archiveName}/`;
      let bigEndian = false;
      if (zip.has(`${prefix}byteorder`)) {
        const order = zip.read(`${prefix}byteorder`).toString('latin1').trim();
        if (order !== 'little' && order !== 'big') throw new Error(`${path}: ${prefix}byteorder says "${order}", expected "little" or "big"`);
        bigEndian = order === 'big';
      }
      const storages = new Map<string, PthStorage>();
      const source = `${path}:${prefix}data.pkl`;
      this.root = unpickle(zip.read(`${prefix}data.pkl`), {
        source,
        resolveGlobal: (module, name) => {
          try {
            return resolveTorchGlobal(source, module, name);
          } catch (e) {
            if (!(opts.allowUnknownGlobals && e instanceof UnsupportedGlobalError)) throw e;
            const q = `${module}.${name}`;
            if (!this.unknownGlobals.includes(q)) this.unknownGlobals.push(q);
            return new PyCallable(q, (args) => new OpaquePyObject(q, args));
          }
        },
        persistentLoad: (pid) => {
          if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
            throw new Error(`${source}: unsupported persistent id ${JSON.stringify(pid, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
          }
          const [, type, key, , count] = pid as [string, unknown, unknown, unknown, unknown];
          if (!(type instanceof StorageType)) {
            const what = type instanceof PyCallable ? `unsupported storage type ${type.qualname}` : 'no storage type';
            throw new Error(`${source}: storage ${String(key)} has ${what}`);
          }
          const k = String(key);
          const cacheKey = `${k}/${type.name}`;
          const known = storages.get(cacheKey);
          if (known) return known;
          const entry = `${prefix}data/${k}`;
          if (!zip.has(entry)) throw new Error(`${path}: storage "${k}" is missing from the archive (no entry ${entry})`);
          const n = asIndex(count, `${source}: storage ${k} element count`);
          const bytes = zip.entry(entry).size;
          if (bytes < n * type.itemSize) {
            throw new Error(`${path}: storage "${k}" has ${bytes} bytes but ${n} ${type.dtype} elements need ${n * type.itemSize} (truncated?)`);
          }
          const s = new PthStorage(zip, entry, k, type.dtype, type.itemSize, n, bigEndian);
          storages.set(cacheKey, s);
          return s;
        },
      });
    } catch (e) {
      zip.close();
      throw e;
    }
  }

  /**
   * Every tensor reachable from the root, by dotted path: nested dicts join their keys with ".",
   * lists and tuples use the index. Non-tensor leaves (e.g. a training step) are left out.
   */
  tensors(): Map<string, PthTensor> {
    if (this.#tensors) return this.#tensors;
    const out = new Map<string, PthTensor>();
    const visit = (v: unknown, name: string): void => {
      if (v instanceof PthTensor) {
        if (out.has(name)) throw new Error(`${this.path}: two tensors flatten to the same key "${name}"`);
        out.set(name, v);
      } else if (v instanceof Map) {
        for (const [k, child] of v) visit(child, name === '' ? String(k) : `${name}.${String(k)}`);
      } else if (Array.isArray(v)) {
        v.forEach((child, i) => visit(child, name === '' ? String(i) : `${name}.${i}`));
      }
    };
    visit(this.root, '');
    this.#tensors = out;
    return out;
  }

  tensor(name: string): PthTensor {
    const t = this.tensors().get(name);
    if (!t) throw new Error(`${this.path}: no tensor named "${name}"`);
    return t;
  }

  /** The view's elements, contiguous, in the storage's own element type. */
  #contiguous(t: PthTensor, name: string): TypedArray {
    const n = numel(t.shape);
    if (n === 0) return typedView(t.dtype, Buffer.alloc(0), 0);
    let last = t.storageOffset;
    for (let d = 0; d < t.shape.length; d++) last += (t.shape[d]! - 1) * t.stride[d]!;
    if (last >= t.storage.numel) {
      throw new Error(`${this.path}: tensor "${name}" (offset ${t.storageOffset}, shape [${t.shape.join(', ')}], stride [${t.stride.join(', ')}]) reaches element ${last} of a ${t.storage.numel}-element storage`);
    }
    const span = last - t.storageOffset + 1;
    const src = typedView(t.dtype, t.storage.readElements(t.storageOffset, span), span);
    if (span === n && isContiguous(t.shape, t.stride)) return src;
    const Ctor = src.constructor as new (n: number) => TypedArray;
    return gather(src, t.shape, t.stride, new Ctor(n));
  }

  /** A floating tensor widened to float32 (bf16/f16 exactly; f64 rounded). */
  readF32(name: string): F32Tensor {
    const t = this.tensor(name);
    if (!isFloatDType(t.dtype)) throw new Error(`${this.path}: tensor "${name}" has dtype ${t.dtype}, expected a floating type (F32, F16, BF16, F64)`);
    const raw = this.#contiguous(t, name);
    let data: Float32Array;
    if (t.dtype === 'F32') data = raw as Float32Array;
    else if (t.dtype === 'BF16') data = bf16ToF32(raw as Uint16Array);
    else if (t.dtype === 'F16') data = f16ToF32(raw as Uint16Array);
    else data = Float32Array.from(raw as Float64Array);
    return { dtype: 'float32', shape: [...t.shape], data };
  }

  /** Any tensor: floats widened to float32, integers and bools to int64. */
  read(name: string): Tensor {
    const t = this.tensor(name);
    if (isFloatDType(t.dtype)) return this.readF32(name);
    const raw = this.#contiguous(t, name);
    const data = raw instanceof BigInt64Array ? raw : BigInt64Array.from(raw as Int32Array, (v) => BigInt(v));
    return { dtype: 'int64', shape: [...t.shape], data };
  }

  close(): void {
    this.#zip.close();
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d]! !== 1 && stride[d]! !== expected) return false;
    expected *= shape[d]!;
  }
  return true;
}

const TORCH_DTYPE_NAMES = new Set(['float32', 'float', 'float64', 'double', 'float16', 'half', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'int8', 'uint8', 'bool']);

const ALLOWED =
  'collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_tensor, torch._utils._rebuild_parameter, ' +
  'torch._utils._rebuild_parameter_with_state, torch._tensor._rebuild_from_type_v2, torch.<Type>Storage, torch.device, torch.Size, torch.<dtype>';

function rebuildTensor(source: string, q: string, [storage, offset, size, stride]: unknown[]): PthTensor {
  if (!(storage instanceof PthStorage)) throw new Error(`${source}: ${q} expects a storage as its first argument`);
  const shape = asIndexList(size, `${source}: ${q} size`);
  const strides = asIndexList(stride, `${source}: ${q} stride`);
  if (shape.length !== strides.length) throw new Error(`${source}: ${q} has ${shape.length} sizes but ${strides.length} strides`);
  return new PthTensor(storage, asIndex(offset, `${source}: ${q} storage_offset`), shape, strides);
}

/** The fixed table of globals a torch.save state dict may reference. */
function resolveTorchGlobal(source: string, module: string, name: string): unknown {
  const basic = basicGlobal(module, name);
  if (basic !== undefined) return basic;
  const q = `${module}.${name}`;
  if (module === 'torch' && name in STORAGE_TYPES) {
    const s = STORAGE_TYPES[name]!;
    return new StorageType(name, s.dtype, s.itemSize);
  }
  if (module === 'torch' && TORCH_DTYPE_NAMES.has(name)) return `torch.${name}`;
  switch (q) {
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor':
      return new PyCallable(q, (args) => rebuildTensor(source, q, args));
    // A Parameter is its data tensor; requires_grad, hooks and extra state do not matter here.
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      return new PyCallable(q, ([data]) => {
        if (!(data instanceof PthTensor)) throw new Error(`${source}: ${q} expects a tensor`);
        return data;
      });
    case 'torch._tensor._rebuild_from_type_v2':
      return new PyCallable(q, ([fn, type, args]) => {
        if (!(type instanceof TensorClass)) throw new Error(`${source}: ${q} names an unsupported tensor subclass`);
        if (!(fn instanceof PyCallable) || !Array.isArray(args)) throw new Error(`${source}: ${q} expects a rebuild function and its arguments`);
        return fn.call(args);
      });
    case 'torch.Tensor':
    case 'torch.nn.parameter.Parameter':
      return new TensorClass(q);
    case 'torch.device':
      return new PyCallable(q, (args) => args.map(String).join(':'));
    case 'torch.Size':
      return new PyCallable(q, ([dims]) => asIndexList(dims ?? [], `${source}: torch.Size`));
    default:
      throw new UnsupportedGlobalError(source, q, ALLOWED);
  }
}

export function openPth(path: string, opts: PthOptions = {}): PthFile {
  return new PthFile(path, opts);
}
