/**
 * Deterministic random weights for a parameter spec (the demo preset, benchmarks, graph dumps).
 * Each tensor is generated from (seed, key) alone, so any subset can be produced lazily and
 * the same key always gets the same values. Scales follow the usual initialisations so that
 * activations stay in a sane range through many blocks: Linear/Conv weights N(0, 1/fan_in),
 * biases small, norm weights near 1, adaLN modulation offsets small.
 */
import type { WeightReader } from './reader.ts';
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
 * Writes random weights for `spec` as an F32 safetensors file, one tensor generated at a time (for
 * worker threads and benchmarks that need a file of the real size without the real checkpoint).
 * The values are those `randomWeights(spec, seed)` returns.
 */
export function writeRandomSafetensors(path: string, spec: ParamShapes, seed: number): void {
  writeSafetensors(
    path,
    [...spec].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: () => randomTensor(seed, name, shape).data })),
  );
}
