/**
 * Seeded random TAEHV weights with a config's real shapes, for benchmarks and tests that need
 * the architecture's cost or wiring but not its trained values. Uniform in ±√(3 / fan_in)
 * (unit-variance-preserving), biases small, so activations stay finite and normal-range.
 */
import type { WeightReader } from '../onnx/params.ts';
import { f32, type F32Tensor } from '../tensor.ts';
import type { TaeConfig } from './config.ts';
import { taeWeightShapes } from './layout.ts';

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTaeWeights(cfg: TaeConfig, seed = 0): WeightReader {
  const shapes = taeWeightShapes(cfg);
  const rand = prng(seed);
  const tensors = new Map<string, F32Tensor>();
  for (const [key, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const bound = shape.length > 1 ? Math.sqrt(3 / fanIn) : 0.01;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (2 * rand() - 1) * bound;
    tensors.set(key, f32(shape, data));
  }
  const get = (key: string) => {
    const t = tensors.get(key);
    if (!t) throw new Error(`random TAE weights: no "${key}"`);
    return t;
  };
  return { path: `random TAE weights (seed ${seed})`, has: (k) => tensors.has(k), shape: (k) => get(k).shape, getF32: get };
}
