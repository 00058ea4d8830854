/**
 * One entry point for every checkpoint format we read: `openCheckpoint(path)` looks at the file's
 * first bytes (not its extension) and gives a flat state-dict view, keys → tensors, whatever the
 * storage (safetensors, or a torch.save zip whose nested dicts are flattened with ".").
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { PthFile, type PthOptions } from './pth.ts';
import { SafetensorsFile, type SafetensorsDType } from './safetensors.ts';
import type { F32Tensor, Tensor } from '../tensor.ts';

export type CheckpointDType = SafetensorsDType;
export type CheckpointFormat = 'safetensors' | 'pth';

export const FLOAT_CHECKPOINT_DTYPES: readonly CheckpointDType[] = ['F32', 'F16', 'BF16', 'F64'];

/** A flat state dict, read lazily: nothing but the index is loaded until a tensor is asked for. */
export interface Checkpoint {
  readonly path: string;
  readonly format: CheckpointFormat;
  keys(): string[];
  has(key: string): boolean;
  shape(key: string): readonly number[];
  dtype(key: string): CheckpointDType;
  /** A floating tensor widened to float32 (bf16/f16 exactly). Throws for integer tensors. */
  getF32(key: string): F32Tensor;
  /** Rows [start, start + count) of a floating tensor, widened to float32; only formats that can read a slice have it. */
  getF32Rows?(key: string, start: number, count: number): Float32Array;
  /** Any tensor: floats as float32, integers and bools as int64. */
  get(key: string): Tensor;
  close(): void;
}

class SafetensorsCheckpoint implements Checkpoint {
  readonly format = 'safetensors';
  readonly #file: SafetensorsFile;

  constructor(readonly path: string) {
    this.#file = new SafetensorsFile(path);
  }

  keys(): string[] {
    return this.#file.keys();
  }
  has(key: string): boolean {
    return this.#file.has(key);
  }
  shape(key: string): readonly number[] {
    return this.#file.entry(key).shape;
  }
  dtype(key: string): CheckpointDType {
    return this.#file.entry(key).dtype;
  }
  getF32(key: string): F32Tensor {
    return this.#file.getF32(key);
  }
  getF32Rows(key: string, start: number, count: number): Float32Array {
    return this.#file.getF32Rows(key, start, count);
  }
  get(key: string): Tensor {
    return this.#file.get(key);
  }
  close(): void {
    this.#file.close();
  }
}

class PthCheckpoint implements Checkpoint {
  readonly format = 'pth';
  readonly #file: PthFile;

  constructor(
    readonly path: string,
    opts: PthOptions,
  ) {
    this.#file = new PthFile(path, opts);
  }

  keys(): string[] {
    return [...this.#file.tensors().keys()];
  }
  has(key: string): boolean {
    return this.#file.tensors().has(key);
  }
  shape(key: string): readonly number[] {
    return this.#file.tensor(key).shape;
  }
  dtype(key: string): CheckpointDType {
    return this.#file.tensor(key).dtype;
  }
  getF32(key: string): F32Tensor {
    return this.#file.readF32(key);
  }
  get(key: string): Tensor {
    return this.#file.read(key);
  }
  close(): void {
    this.#file.close();
  }
}

/** Which reader a file needs, from its first bytes. */
export function detectCheckpointFormat(path: string): CheckpointFormat {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new Error(`cannot open checkpoint ${path}: ${(e as Error).message}`);
  }
  const head = Buffer.alloc(9);
  let n: number;
  try {
    n = readSync(fd, head, 0, 9, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'pth';
  // safetensors: u64 header length, then the JSON header's opening brace.
  if (n === 9 && head[8] === 0x7b) return 'safetensors';
  if (n >= 2 && head[0] === 0x80 && head[1]! <= 5) {
    throw new Error(
      `${path}: this is a legacy (pre-1.6, non-zip) torch.save file, which is not supported; ` +
        're-save it with torch.save(obj, path) from torch >= 1.6 or convert it to safetensors',
    );
  }
  throw new Error(`${path}: not a checkpoint we can read (neither a safetensors file nor a torch.save zip archive)`);
}

/** Options for the formats that need them (only torch.save files have any). */
export type OpenCheckpointOptions = PthOptions;

export function openCheckpoint(path: string, opts: OpenCheckpointOptions = {}): Checkpoint {
  const format = detectCheckpointFormat(path);
  return format === 'pth' ? new PthCheckpoint(path, opts) : new SafetensorsCheckpoint(path);
}
