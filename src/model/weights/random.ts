/**
 * Deterministic random weights for a parameter spec (the demo preset, benchmarks, graph dumps).
 * Each tensor is generated from (seed, key) alone, so any subset can be produced lazily and
 * the same key always gets the same values. Scales follow the usual initialisations so that
 * activations stay in a sane range through many blocks: Linear/Conv weights N(0, 1/fan_in),
 * biases small, norm weights near 1, adaLN modulation offsets small.
 */
import type { WeightReader } from './reader.ts';
import { f32ToBf16 } from './dtype.ts';
import { Xoshiro128 } from '../prng.ts';
import { f32, type F32Tensor } from '../tensor.ts';
import { writeSafetensors } from './safetensors-writer.ts';

export type ParamShapes = ReadonlyMap<string, readonly number[]>;

function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** How a parameter is initialised, by its name and shape. */
export function initFor(key: string, shape: readonly number[]): { mean: number; std: number } {
  const last = key.split('.').pop()!;
  if (/norm/.test(key) && last === 'weight') return { mean: 1, std: 0.02 };
  if (last === 'bias') return { mean: 0, std: 0.02 };
  if (last === 'modulation') return { mean: 0, std: 0.02 };
  const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : shape[0] ?? 1;
  return { mean: 0, std: 1 / Math.sqrt(fanIn) };
}

export function randomTensor(seed: number, key: string, shape: readonly number[]): F32Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new Xoshiro128(seed, hashKey(key));
  const data = rng.fillNormal(new Float32Array(n));
  const { mean, std } = initFor(key, shape);
  for (let i = 0; i < n; i++) data[i] = mean + std * data[i]!;
  return f32(shape, data);
}

/** Elements generated at once by randomTensorBf16 (even, so Box–Muller pairs never straddle a slice). */
const BF16_SLICE = 1 << 22;

/**
 * randomTensor's values rounded to bfloat16, generated a slice at a time from the same stream, so a
 * multi-GB tensor (umt5-xxl's embedding) never exists as float32.
 */
export function randomTensorBf16(seed: number, key: string, shape: readonly number[]): Uint16Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = new Xoshiro128(seed, hashKey(key));
  const { mean, std } = initFor(key, shape);
  const out = new Uint16Array(n);
  const slice = new Float32Array(Math.min(n, BF16_SLICE));
  for (let start = 0; start < n; start += BF16_SLICE) {
    const part = n - start < slice.length ? slice.subarray(0, n - start) : slice;
    rng.fillNormal(part);
    for (let i = 0; i < part.length; i++) part[i] = mean + std * part[i]!;
    f32ToBf16(part, out.subarray(start, start + part.length));
  }
  return out;
}

export function randomWeights(spec: ParamShapes, seed: number, label = `random weights (seed ${seed})`): WeightReader {
  return {
    path: label,
    has: (k) => spec.has(k),
    shape: (k) => {
      const s = spec.get(k);
      if (!s) throw new Error(`${label}: no parameter "${k}"`);
      return s;
    },
    getF32: (k) => {
      const s = spec.get(k);
      if (!s) throw new Error(`${label}: no parameter "${k}"`);
      return randomTensor(seed, k, s);
    },
  };
}

/**
 * Writes random weights for `spec` as a safetensors file, one tensor generated at a time (for
 * worker threads and benchmarks that need a file of the real size without the real checkpoint).
 * F32 (default): the values `randomWeights(spec, seed)` returns; BF16: those values rounded to
 * bfloat16, the dtype most released checkpoints ship in.
 */
export function writeRandomSafetensors(path: string, spec: ParamShapes, seed: number, opts: { dtype?: 'F32' | 'BF16'; metadata?: Record<string, string> } = {}): void {
  const dtype = opts.dtype ?? 'F32';
  writeSafetensors(
    path,
    [...spec].map(([name, shape]) => ({ name, dtype, shape, data: () => (dtype === 'BF16' ? randomTensorBf16(seed, name, shape) : randomTensor(seed, name, shape).data) })),
    opts.metadata,
  );
}
