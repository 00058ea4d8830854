/**
 * Test-only writers that build small torch.save-like files byte by byte: a pickle opcode
 * emitter, a stored-entry zip writer (optionally ZIP64, optionally deflated entries) laid out the
 * way torch.save lays its archives out, and a safetensors writer. Nothing here runs Python.
 */
import { writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';

/** Emits pickle opcodes; each method appends one opcode with its argument. */
export class PickleBytes {
  readonly #parts: Buffer[] = [];

  raw(...bytes: number[]): this {
    this.#parts.push(Buffer.from(bytes));
    return this;
  }
  #op(code: number, arg?: Buffer): this {
    this.#parts.push(Buffer.from([code]));
    if (arg) this.#parts.push(arg);
    return this;
  }
  proto(v: number): this {
    return this.raw(0x80, v);
  }
  frame(len: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(len));
    return this.#op(0x95, b);
  }
  mark(): this {
    return this.raw(0x28);
  }
  stop(): this {
    return this.raw(0x2e);
  }
  emptyDict(): this {
    return this.raw(0x7d);
  }
  emptyList(): this {
    return this.raw(0x5d);
  }
  emptyTuple(): this {
    return this.raw(0x29);
  }
  tuple(): this {
    return this.raw(0x74);
  }
  tupleN(n: 1 | 2 | 3): this {
    return this.raw(0x84 + n);
  }
  setitem(): this {
    return this.raw(0x73);
  }
  setitems(): this {
    return this.raw(0x75);
  }
  append(): this {
    return this.raw(0x61);
  }
  appends(): this {
    return this.raw(0x65);
  }
  none(): this {
    return this.raw(0x4e);
  }
  bool(v: boolean): this {
    return this.raw(v ? 0x88 : 0x89);
  }
  /** The shortest integer opcode torch's pickler would use. */
  int(v: number | bigint): this {
    if (typeof v === 'number' && Number.isInteger(v)) {
      if (v >= 0 && v < 256) return this.raw(0x4b, v);
      if (v >= 0 && v < 65536) return this.raw(0x4d, v & 0xff, v >> 8);
      if (v >= -(2 ** 31) && v < 2 ** 31) {
        const b = Buffer.alloc(4);
        b.writeInt32LE(v);
        return this.#op(0x4a, b);
      }
    }
    // LONG1: little-endian two's complement, minimal length.
    let x = BigInt(v);
    const out: number[] = [];
    for (;;) {
      const byte = Number(x & 0xffn);
      out.push(byte);
      x >>= 8n;
      if ((x === 0n && !(byte & 0x80)) || (x === -1n && byte & 0x80)) break;
    }
    return this.raw(0x8a, out.length, ...out);
  }
  float(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return this.#op(0x47, b);
  }
  str(s: string): this {
    const body = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length);
    return this.#op(0x58, Buffer.concat([len, body]));
  }
  shortStr(s: string): this {
    const body = Buffer.from(s, 'utf8');
    return this.#op(0x8c, Buffer.concat([Buffer.from([body.length]), body]));
  }
  shortBytes(b: Uint8Array): this {
    return this.#op(0x43, Buffer.concat([Buffer.from([b.length]), Buffer.from(b)]));
  }
  global(module: string, name: string): this {
    return this.#op(0x63, Buffer.from(`${module}\n${name}\n`, 'latin1'));
  }
  stackGlobal(): this {
    return this.raw(0x93);
  }
  reduce(): this {
    return this.raw(0x52);
  }
  build(): this {
    return this.raw(0x62);
  }
  newobj(): this {
    return this.raw(0x81);
  }
  binpersid(): this {
    return this.raw(0x51);
  }
  binput(i: number): this {
    return this.raw(0x71, i);
  }
  binget(i: number): this {
    return this.raw(0x68, i);
  }
  longBinput(i: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(i);
    return this.#op(0x72, b);
  }
  longBinget(i: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(i);
    return this.#op(0x6a, b);
  }
  memoize(): this {
    return this.raw(0x94);
  }
  bytes(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

export interface TensorRecord {
  /** torch storage class name, e.g. "FloatStorage". */
  storageType: string;
  storageKey: string;
  storageNumel: number;
  offset: number;
  shape: number[];
  stride: number[];
  /** Wrap in torch._utils._rebuild_parameter (as nn.Parameter objects pickle). */
  parameter?: boolean;
}

/** A value of a torch.save'd object tree: tensors, numbers, strings and nested dicts. */
export type SavedValue = TensorRecord | number | string | Map<string, SavedValue>;

/** Pickles an object tree the way torch.save (protocol 2) does: dicts, _rebuild_tensor_v2, BINPERSID. */
export function pickleTorchObject(root: SavedValue): Buffer {
  const p = new PickleBytes().proto(2);
  const emitTuple = (items: number[]): void => {
    p.mark();
    for (const i of items) p.int(i);
    p.tuple();
  };
  const emit = (v: SavedValue): void => {
    if (typeof v === 'number') p.int(v);
    else if (typeof v === 'string') p.str(v);
    else if (v instanceof Map) {
      p.emptyDict();
      if (v.size > 0) {
        p.mark();
        for (const [k, child] of v) {
          p.str(k);
          emit(child);
        }
        p.setitems();
      }
    } else {
      if (v.parameter) p.global('torch._utils', '_rebuild_parameter').mark();
      p.global('torch._utils', '_rebuild_tensor_v2');
      p.mark();
      p.mark().str('storage').global('torch', v.storageType).str(v.storageKey).str('cpu').int(v.storageNumel).tuple().binpersid();
      p.int(v.offset);
      emitTuple(v.shape);
      emitTuple(v.stride);
      p.bool(false);
      p.global('collections', 'OrderedDict').emptyTuple().reduce();
      p.tuple().reduce();
      if (v.parameter) p.bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
    }
  };
  emit(root);
  return p.stop().bytes();
}

export interface ZipInput {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
}

/**
 * A zip with torch.save's layout: stored entries whose data is padded to 64-byte alignment with
 * a local extra field. `zip64` writes saturated 32-bit fields plus ZIP64 records.
 */
export function zipBytes(entries: ZipInput[], opts: { zip64?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let at = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.deflate ? deflateRawSync(e.data) : Buffer.from(e.data);
    const crc = crc32(e.data);
    const headerLen = 30 + name.length;
    const pad = (64 - ((at + headerLen + 4) % 64)) % 64;
    const extra = Buffer.alloc(4 + pad);
    extra.writeUInt16LE(0x4b46, 0); // an arbitrary private id, as torch's writer uses for padding
    extra.writeUInt16LE(pad, 2);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const localOffset = at;
    parts.push(local, name, extra, body);
    at += local.length + name.length + extra.length + body.length;

    const z64 = Buffer.alloc(opts.zip64 ? 28 : 0);
    if (opts.zip64) {
      z64.writeUInt16LE(0x0001, 0);
      z64.writeUInt16LE(24, 2);
      z64.writeBigUInt64LE(BigInt(e.data.length), 4);
      z64.writeBigUInt64LE(BigInt(body.length), 12);
      z64.writeBigUInt64LE(BigInt(localOffset), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(45, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(e.deflate ? 8 : 0, 10);
    c.writeUInt32LE(crc, 16);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : body.length, 20);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : e.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(z64.length, 30);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : localOffset, 42);
    central.push(c, name, z64);
  }
  const cd = Buffer.concat(central);
  const cdOffset = at;
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const rec = Buffer.alloc(56);
    rec.writeUInt32LE(0x06064b50, 0);
    rec.writeBigUInt64LE(44n, 4);
    rec.writeUInt16LE(45, 12);
    rec.writeUInt16LE(45, 14);
    rec.writeBigUInt64LE(BigInt(entries.length), 24);
    rec.writeBigUInt64LE(BigInt(entries.length), 32);
    rec.writeBigUInt64LE(BigInt(cd.length), 40);
    rec.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(rec, loc);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  eocd.writeUInt32LE(opts.zip64 ? 0xffffffff : cdOffset, 16);
  return Buffer.concat([...parts, cd, ...tail, eocd]);
}

export interface TorchFileOptions {
  archive?: string;
  byteorder?: 'little' | 'big';
  zip64?: boolean;
  deflatePickle?: boolean;
  /** Replace the generated data.pkl. */
  pickle?: Buffer;
}

/** Writes a torch.save-style archive: <archive>/data.pkl, <archive>/data/<key>, <archive>/byteorder. */
export function writeTorchFile(path: string, root: SavedValue, storages: Record<string, Uint8Array>, opts: TorchFileOptions = {}): void {
  const archive = opts.archive ?? 'archive';
  const entries: ZipInput[] = [{ name: `${archive}/data.pkl`, data: opts.pickle ?? pickleTorchObject(root), deflate: opts.deflatePickle }];
  if (opts.byteorder) entries.push({ name: `${archive}/byteorder`, data: Buffer.from(opts.byteorder) });
  for (const [key, data] of Object.entries(storages)) entries.push({ name: `${archive}/data/${key}`, data });
  entries.push({ name: `${archive}/version`, data: Buffer.from('3\n') });
  writeFileSync(path, zipBytes(entries, { zip64: opts.zip64 }));
}

/** A safetensors file from name → {dtype, shape, bytes}. */
export function writeSafetensors(path: string, tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }>): void {
  const header: Record<string, unknown> = {};
  const bodies: Buffer[] = [];
  let off = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.data.length] };
    bodies.push(Buffer.from(t.data));
    off += t.data.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeFileSync(path, Buffer.concat([len, Buffer.from(json), ...bodies]));
}

/** Little-endian bytes of a typed array. */
export function bytesOf(a: Float32Array | Uint16Array | BigInt64Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
