/**
 * safetensors writer, the counterpart of safetensors.ts: 8-byte little-endian header length N,
 * N bytes of JSON `{name: {dtype, shape, data_offsets}, "__metadata__": {…}}` padded with spaces
 * so the data block starts 8-byte aligned, then the tensors' bytes in the order given.
 *
 * Tensor data may be given lazily (a function), so a multi-GB file is produced one tensor at a
 * time without holding all of it in memory. The file is written under a temporary name and
 * renamed into place, so a reader never sees a half-written file (an interrupted run leaves no
 * file that looks complete).
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { numel } from '../tensor.ts';
import type { SafetensorsDType } from './safetensors.ts';

const ITEM_SIZE: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1, F64: 8, I8: 1, I16: 2 };

export type TensorBytes = ArrayBufferView;

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** The tensor's bytes (row-major, little-endian), or a function producing them when written. */
  readonly data: TensorBytes | (() => TensorBytes);
}

interface HeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  data_offsets: [number, number];
}

/** The header bytes (JSON padded to make the data block 8-byte aligned) and each tensor's size. */
export function safetensorsHeader(tensors: readonly Omit<TensorToWrite, 'data'>[], metadata: Record<string, string> = {}): { header: Buffer; sizes: number[] } {
  const json: Record<string, HeaderEntry | Record<string, string>> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors metadata "${k}" must be a string, got ${typeof v}`);
    }
    json.__metadata__ = { ...metadata };
  }
  const sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name.length === 0) throw new Error(`safetensors: invalid tensor name "${t.name}"`);
    if (Object.hasOwn(json, t.name)) throw new Error(`safetensors: tensor "${t.name}" given twice`);
    const item = ITEM_SIZE[t.dtype];
    if (item === undefined) throw new Error(`safetensors: tensor "${t.name}" has unknown dtype ${String(t.dtype)}`);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`safetensors: tensor "${t.name}" has invalid shape [${t.shape.join(', ')}]`);
    const size = numel(t.shape) * item;
    json[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + size] };
    sizes.push(size);
    offset += size;
  }
  const text = JSON.stringify(json);
  const raw = Buffer.from(text, 'utf8');
  const padded = Math.ceil(raw.length / 8) * 8;
  const header = Buffer.alloc(8 + padded, 0x20);
  header.writeBigUInt64LE(BigInt(padded), 0);
  raw.copy(header, 8);
  return { header, sizes };
}

/** Node refuses a single write of more than 2 GiB − 1 bytes (umt5-xxl's float32 embedding is 4.2 GB). */
const MAX_WRITE = 1 << 30;

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(MAX_WRITE, bytes.length - done));
}

/** Writes `tensors` to `path` (parent folders created), atomically via a temporary file. */
export function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): void {
  const { header, sizes } = safetensorsHeader(tensors, metadata);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.partial`;
  const fd = openSync(tmp, 'w');
  try {
    try {
      writeAll(fd, header);
      tensors.forEach((t, i) => {
        const view = typeof t.data === 'function' ? t.data() : t.data;
        if (view.byteLength !== sizes[i]) {
          throw new Error(`tensor "${t.name}" has ${view.byteLength} bytes of data, its shape [${t.shape.join(', ')}] ${t.dtype} needs ${sizes[i]}`);
        }
        writeAll(fd, new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      });
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot write safetensors file ${path}: ${(e as Error).message}`);
  }
  renameSync(tmp, path);
}
