/**
 * safetensors reader: 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the raw data block.
 * Tensors are read on demand with positioned reads, so multi-GB files are never loaded whole.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { bf16ToF32, f16ToF32 } from './dtype.ts';
import { readRange } from './read-range.ts';
import { numel, type F32Tensor, type Tensor } from '../tensor.ts';

export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL' | 'F64' | 'I8' | 'I16';

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in the file. */
  readonly fileOffset: number;
  readonly byteLength: number;
}

const ITEM_SIZE: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F64: 8, I8: 1, I16: 2 };

export class SafetensorsFile {
  readonly path: string;
  readonly metadata: Record<string, string>;
  readonly #entries = new Map<string, SafetensorsEntry>();
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new Error(`cannot open safetensors file ${path}: ${(e as Error).message}`);
    }
    this.#fd = fd;
    try {
      const size = fstatSync(fd).size;
      const lenBuf = Buffer.alloc(8);
      if (size < 8 || readSync(fd, lenBuf, 0, 8, 0) !== 8) throw new Error('file shorter than the 8-byte header length');
      const headerLen = Number(lenBuf.readBigUInt64LE(0));
      if (headerLen <= 0 || 8 + headerLen > size) throw new Error(`header length ${headerLen} does not fit a ${size}-byte file`);
      const headerBuf = Buffer.alloc(headerLen);
      readSync(fd, headerBuf, 0, headerLen, 8);
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(headerBuf.toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new Error('header is not valid JSON');
      }
      const dataStart = 8 + headerLen;
      this.metadata = (header.__metadata__ as Record<string, string> | undefined) ?? {};
      for (const [name, raw] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        const info = raw as { dtype: SafetensorsDType; shape: number[]; data_offsets: [number, number] };
        const item = ITEM_SIZE[info.dtype];
        if (item === undefined) throw new Error(`tensor "${name}" has unknown dtype ${info.dtype}`);
        const [begin, end] = info.data_offsets;
        if (end - begin !== numel(info.shape) * item || dataStart + end > size) {
          throw new Error(`tensor "${name}" has data_offsets [${begin}, ${end}] inconsistent with shape [${info.shape.join(', ')}] ${info.dtype} or the file size`);
        }
        this.#entries.set(name, { name, dtype: info.dtype, shape: info.shape, fileOffset: dataStart + begin, byteLength: end - begin });
      }
    } catch (e) {
      closeSync(fd);
      this.#fd = undefined;
      throw new Error(`invalid safetensors file ${path}: ${(e as Error).message}`);
    }
  }

  keys(): string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  entry(name: string): SafetensorsEntry {
    const e = this.#entries.get(name);
    if (!e) throw new Error(`${this.path}: no tensor named "${name}"`);
    return e;
  }

  /** Raw bytes of a tensor, as stored. */
  bytes(name: string): Buffer {
    const e = this.entry(name);
    if (this.#fd === undefined) throw new Error(`${this.path} is closed`);
    return readRange(this.#fd, e.fileOffset, e.byteLength, this.path, `"${name}"`);
  }

  /** A floating tensor widened to float32 (F32, F16, BF16; F64 narrowed). */
  getF32(name: string): F32Tensor {
    const e = this.entry(name);
    const b = this.bytes(name);
    const n = numel(e.shape);
    let data: Float32Array;
    switch (e.dtype) {
      case 'F32':
        data = new Float32Array(b.buffer, b.byteOffset, n);
        break;
      case 'F16':
        data = f16ToF32(new Uint16Array(b.buffer, b.byteOffset, n));
        break;
      case 'BF16':
        data = bf16ToF32(new Uint16Array(b.buffer, b.byteOffset, n));
        break;
      case 'F64':
        data = Float32Array.from(new Float64Array(b.buffer, b.byteOffset, n));
        break;
      default:
        throw new Error(`${this.path}: tensor "${name}" has dtype ${e.dtype}, expected a floating type`);
    }
    return { dtype: 'float32', shape: [...e.shape], data };
  }

  /**
   * Rows [start, start + count) of a floating tensor (along its first axis), widened to float32:
   * one positioned read of just those rows, for tensors too large to widen whole.
   */
  getF32Rows(name: string, start: number, count: number): Float32Array {
    const e = this.entry(name);
    if (e.shape.length === 0) throw new Error(`${this.path}: tensor "${name}" is a scalar; it has no rows`);
    const rows = e.shape[0]!;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > rows) {
      throw new Error(`${this.path}: rows [${start}, ${start + count}) of tensor "${name}" are outside [0, ${rows})`);
    }
    if (this.#fd === undefined) throw new Error(`${this.path} is closed`);
    const rowElems = numel(e.shape.slice(1));
    const item = ITEM_SIZE[e.dtype];
    const b = readRange(this.#fd, e.fileOffset + start * rowElems * item, count * rowElems * item, this.path, `rows [${start}, ${start + count}) of "${name}"`);
    const n = count * rowElems;
    switch (e.dtype) {
      case 'F32':
        return new Float32Array(b.buffer, b.byteOffset, n);
      case 'F16':
        return f16ToF32(new Uint16Array(b.buffer, b.byteOffset, n));
      case 'BF16':
        return bf16ToF32(new Uint16Array(b.buffer, b.byteOffset, n));
      case 'F64':
        return Float32Array.from(new Float64Array(b.buffer, b.byteOffset, n));
      default:
        throw new Error(`${this.path}: tensor "${name}" has dtype ${e.dtype}, expected a floating type`);
    }
  }

  /** Any tensor, floats widened to float32, integers to int64. */
  get(name: string): Tensor {
    const e = this.entry(name);
    if (e.dtype === 'I64' || e.dtype === 'I32' || e.dtype === 'I16' || e.dtype === 'I8' || e.dtype === 'U8' || e.dtype === 'BOOL') {
      const b = this.bytes(name);
      const n = numel(e.shape);
      let data: BigInt64Array;
      if (e.dtype === 'I64') data = new BigInt64Array(b.buffer, b.byteOffset, n);
      else {
        const src =
          e.dtype === 'I32' ? new Int32Array(b.buffer, b.byteOffset, n)
          : e.dtype === 'I16' ? new Int16Array(b.buffer, b.byteOffset, n)
          : e.dtype === 'I8' ? new Int8Array(b.buffer, b.byteOffset, n)
          : new Uint8Array(b.buffer, b.byteOffset, n);
        data = BigInt64Array.from(src, (v) => BigInt(v));
      }
      return { dtype: 'int64', shape: [...e.shape], data };
    }
    return this.getF32(name);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

export function openSafetensors(path: string): SafetensorsFile {
  return new SafetensorsFile(path);
}
