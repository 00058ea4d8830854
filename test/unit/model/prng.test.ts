/**
 * Xoshiro128 (src/model/prng.ts): the exact xoshiro128** / splitmix32 sequence (checked against
 * an independent BigInt implementation of the published algorithms, so that a change that would
 * silently alter every random weight and every noise tensor fails here), determinism per
 * (seed, stream), the open unit interval, and the Box–Muller normals.
 */
import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../../src/model/prng.ts';

const M32 = 0xffffffffn;

/** The same generator written with BigInt arithmetic (no Math.imul, no >>> tricks). */
function referenceSequence(seed: number, stream: number, count: number): number[] {
  const mul = (a: bigint, b: bigint) => (a * b) & M32;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M32;
  // splitmix32 (murmur3 finaliser on a Weyl sequence), seeded with seed ^ (stream + 1)·0x27d4eb2d.
  let s = (BigInt(seed >>> 0) ^ mul(BigInt(stream + 1), 0x27d4eb2dn)) & M32;
  const splitmix = () => {
    s = (s + 0x9e3779b9n) & M32;
    let z = s;
    z = mul(z ^ (z >> 16n), 0x85ebca6bn);
    z = mul(z ^ (z >> 13n), 0xc2b2ae35n);
    return z ^ (z >> 16n);
  };
  const st = [splitmix(), splitmix(), splitmix(), splitmix()];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number(mul(rotl(mul(st[1]!, 5n), 7n), 9n)));
    const t = (st[1]! << 9n) & M32;
    st[2]! ^= st[0]!;
    st[3]! ^= st[1]!;
    st[1]! ^= st[2]!;
    st[0]! ^= st[3]!;
    st[2]! ^= t;
    st[3] = rotl(st[3]!, 11n);
  }
  return out;
}

const draw = (rng: Xoshiro128, n: number) => Array.from({ length: n }, () => rng.nextU32());

describe('Xoshiro128', () => {
  it('produces exactly the xoshiro128** sequence seeded through splitmix32', () => {
    for (const [seed, stream] of [
      [0, 0],
      [1, 0],
      [42, 7],
      [0xdeadbeef, 123456],
      [-5, 3],
    ] as const) {
      expect(draw(new Xoshiro128(seed, stream), 64), `seed ${seed}, stream ${stream}`).toEqual(referenceSequence(seed, stream, 64));
    }
  });

  it('is deterministic per (seed, stream); the stream defaults to 0', () => {
    expect(draw(new Xoshiro128(9, 4), 100)).toEqual(draw(new Xoshiro128(9, 4), 100));
    expect(draw(new Xoshiro128(9), 100)).toEqual(draw(new Xoshiro128(9, 0), 100));
  });

  it('different streams of one seed, and different seeds, give unrelated sequences', () => {
    const base = draw(new Xoshiro128(3, 0), 256);
    for (const other of [draw(new Xoshiro128(3, 1), 256), draw(new Xoshiro128(3, 2), 256), draw(new Xoshiro128(4, 0), 256)]) {
      const same = base.filter((v, i) => v === other[i]).length;
      expect(same).toBeLessThan(2);
    }
  });

  it('nextU32 is an unsigned 32-bit integer with both halves of the range used', () => {
    const v = draw(new Xoshiro128(11, 5), 10_000);
    expect(v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)).toBe(true);
    const high = v.filter((x) => x >= 2 ** 31).length;
    expect(high / v.length).toBeGreaterThan(0.45);
    expect(high / v.length).toBeLessThan(0.55);
  });

  it('nextUnit is (u + 0.5) / 2^32, strictly inside (0, 1), mean ≈ 0.5', () => {
    const a = new Xoshiro128(77, 1);
    const b = new Xoshiro128(77, 1);
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const u = a.nextUnit();
      if (u !== (b.nextU32() + 0.5) / 4294967296 || !(u > 0 && u < 1)) throw new Error(`draw ${i}: nextUnit ${u}`);
      sum += u;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
  });

  it('fillNormal is Box–Muller on consecutive nextUnit pairs: (r·cos a, r·sin a)', () => {
    const out = new Xoshiro128(5, 2).fillNormal(new Float32Array(6));
    const u = new Xoshiro128(5, 2);
    for (let i = 0; i < 6; i += 2) {
      const r = Math.sqrt(-2 * Math.log(u.nextUnit()));
      const a = 2 * Math.PI * u.nextUnit();
      expect(out[i]).toBe(Math.fround(r * Math.cos(a)));
      expect(out[i + 1]).toBe(Math.fround(r * Math.sin(a)));
    }
  });

  it('fillNormal returns the array it filled; an odd length fills every element (the last pair keeps only its cosine)', () => {
    const buf = new Float32Array(7).fill(NaN);
    expect(new Xoshiro128(8, 8).fillNormal(buf)).toBe(buf);
    expect(buf.every(Number.isFinite)).toBe(true);
    const even = new Xoshiro128(8, 8).fillNormal(new Float32Array(8));
    expect(Array.from(buf)).toEqual(Array.from(even.subarray(0, 7)));
    expect(new Xoshiro128(1).fillNormal(new Float32Array(0)).length).toBe(0);
    const one = new Xoshiro128(1).fillNormal(new Float32Array(1));
    expect(one[0]).toBe(new Xoshiro128(1).fillNormal(new Float32Array(2))[0]);
  });

  it('fillNormal samples are standard normal: mean, variance, tails and lag-1 correlation on 1e5 samples', () => {
    const n = 100_000;
    const x = new Xoshiro128(2024, 0).fillNormal(new Float32Array(n + 1));
    let sum = 0;
    let sq = 0;
    let tails = 0;
    let lag = 0;
    for (let i = 0; i < n; i++) {
      sum += x[i]!;
      sq += x[i]! * x[i]!;
      if (Math.abs(x[i]!) > 1.959964) tails++;
      lag += x[i]! * x[i + 1]!;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    // Standard errors: mean 0.0032, variance 0.0045, tail fraction 0.0007, correlation 0.0032.
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
    expect(Math.abs(tails / n - 0.05)).toBeLessThan(0.005);
    expect(Math.abs(lag / n)).toBeLessThan(0.02);
  });
});
