/**
 * Seeded random weights for a {key → shape} table, in memory (a WeightReader) or written to a
 * safetensors file (for worker threads and benchmarks that need the real sizes without the real
 * checkpoint). Weights are uniform with variance 1/fan_in, norm scales 1, biases 0, so
 * activations stay in range through deep stacks.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import type { WeightReader } from '../../src/model/onnx/params.ts';
import { f32, type F32Tensor } from '../../src/model/tensor.ts';

function hash(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function randomTensor(key: string, shape: readonly number[], seed = 0): F32Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  const last = key.split('.').pop()!;
  if (/norm/.test(key) && last === 'weight') return f32(shape, data.fill(1));
  if (last === 'bias') return f32(shape, data);
  const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const amp = last === 'gamma' ? 0.5 : Math.sqrt(3 / fanIn) * (fanIn === 1 ? 0.05 : 1);
  let a = hash(key, seed);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    data[i] = amp * (2 * (((t ^ (t >>> 14)) >>> 0) / 4294967296) - 1);
  }
  return f32(shape, data);
}

export function randomWeightReader(shapes: ReadonlyMap<string, readonly number[]>, seed = 0, path = `random weights (seed ${seed})`): WeightReader {
  const cache = new Map<string, F32Tensor>();
  const need = (k: string) => {
    const s = shapes.get(k);
    if (!s) throw new Error(`${path}: no weight "${k}"`);
    return s;
  };
  return {
    path,
    has: (k) => shapes.has(k),
    shape: (k) => need(k),
    getF32: (k) => {
      let t = cache.get(k);
      if (!t) cache.set(k, (t = randomTensor(k, need(k), seed)));
      return t;
    },
  };
}

/** Writes the random weights as an F32 safetensors file, one tensor at a time. */
export function writeRandomSafetensors(path: string, shapes: ReadonlyMap<string, readonly number[]>, seed = 0): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [k, s] of shapes) {
    const bytes = s.reduce((a, b) => a * b, 1) * 4;
    header[k] = { dtype: 'F32', shape: s, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, len);
    writeSync(fd, Buffer.from(json));
    for (const [k, s] of shapes) {
      const t = randomTensor(k, s, seed);
      writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
