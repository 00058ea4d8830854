/**
 * The one interface every graph builder reads checkpoint tensors through (a safetensors file, a
 * converted .pth, random test weights), so the builders never care where weights come from.
 */
import type { F32Tensor } from '../tensor.ts';
import type { SafetensorsFile } from './safetensors.ts';

export interface WeightReader {
  /** Where the weights come from (named in errors). */
  readonly path: string;
  has(name: string): boolean;
  shape(name: string): readonly number[];
  getF32(name: string): F32Tensor;
  /** Rows [start, start + count) of a floating tensor, widened to float32 (formats that can slice). */
  getF32Rows?(name: string, start: number, count: number): Float32Array;
  /** File location of the tensor's bytes when they are stored as raw little-endian float32. */
  f32Location?(name: string): { path: string; offset: number } | undefined;
}

export function safetensorsWeights(file: SafetensorsFile): WeightReader {
  return {
    path: file.path,
    has: (n) => file.has(n),
    shape: (n) => file.entry(n).shape,
    getF32: (n) => file.getF32(n),
    getF32Rows: (n, start, count) => file.getF32Rows(n, start, count),
    f32Location: (n) => {
      const e = file.entry(n);
      return e.dtype === 'F32' ? { path: file.path, offset: e.fileOffset } : undefined;
    },
  };
}
