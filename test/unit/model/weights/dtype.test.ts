/**
 * Half-precision conversions (src/model/weights/dtype.ts): exact bit patterns for normals,
 * subnormals, signed zeros, infinities and NaN; float32 → half rounding to nearest even, including
 * the ties, the overflow to infinity and the subnormal range; and the round trip over every half.
 */
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../../../src/model/weights/dtype.ts';

const f32Bits = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0]!;
const fromBits = (u: number) => new Float32Array(Uint32Array.of(u).buffer)[0]!;
const half = (h: number) => f16ToF32(Uint16Array.of(h))[0]!;
const toHalf = (x: number) => f32ToF16(Float32Array.of(x))[0]!;

describe('bf16ToF32', () => {
  it('is the bf16 bits shifted into the top half of a float32', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xbf80, -1],
      [0x4000, 2],
      [0xc040, -3],
      [0x3f00, 0.5],
      [0x3fc0, 1.5],
      [0x4049, fromBits(0x40490000)], // 3.140625
      [0x7f7f, fromBits(0x7f7f0000)], // largest finite bf16
      [0x0080, 2 ** -126], // smallest normal
      [0x0001, 2 ** -133], // smallest subnormal
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    const out = bf16ToF32(Uint16Array.from(cases.map(([h]) => h)));
    cases.forEach(([h, want], i) => expect(out[i], `0x${h.toString(16)}`).toBe(want));
    expect(Number.isNaN(bf16ToF32(Uint16Array.of(0x7fc0))[0])).toBe(true);
    expect(Number.isNaN(bf16ToF32(Uint16Array.of(0xffc1))[0])).toBe(true);
    expect(Object.is(bf16ToF32(Uint16Array.of(0x8000))[0], -0)).toBe(true);
    expect(Object.is(bf16ToF32(Uint16Array.of(0x0000))[0], 0)).toBe(true);
  });

  it('every pattern lands bit-exactly (float32 bits = h << 16, NaN payloads aside)', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const out = bf16ToF32(all);
    const bits = new Uint32Array(out.buffer);
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7f80) === 0x7f80 && (h & 0x7f) !== 0;
      if (isNaN) expect(Number.isNaN(out[h])).toBe(true);
      else if (bits[h] !== h * 65536) throw new Error(`bf16 0x${h.toString(16)} → 0x${bits[h]!.toString(16)}`);
    }
  });

  it('writes into a given destination (also a view at a byte offset) and returns it', () => {
    const backing = new Float32Array(6).fill(7);
    const dst = backing.subarray(2, 4);
    expect(bf16ToF32(Uint16Array.of(0x3f80, 0xc000), dst)).toBe(dst);
    expect(Array.from(backing)).toEqual([7, 7, 1, -2, 7, 7]);
  });
});

describe('f16ToF32', () => {
  it('decodes known IEEE half patterns exactly', () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xbc00, -1],
      [0x4000, 2],
      [0x3800, 0.5],
      [0x3e00, 1.5],
      [0x3555, 0.333251953125],
      [0x4248, 3.140625],
      [0x7bff, 65504], // largest finite
      [0xfbff, -65504],
      [0x0400, 2 ** -14], // smallest normal
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0001, 2 ** -24], // smallest subnormal
      [0x8001, -(2 ** -24)],
      [0x0200, 2 ** -15],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const out = f16ToF32(Uint16Array.from(cases.map(([h]) => h)));
    cases.forEach(([h, want], i) => expect(out[i], `0x${h.toString(16)}`).toBe(want));
    for (const h of [0x7e00, 0x7c01, 0xfe00, 0x7fff]) expect(Number.isNaN(half(h)), `0x${h.toString(16)}`).toBe(true);
    expect(Object.is(half(0x8000), -0)).toBe(true);
    expect(Object.is(half(0x0000), 0)).toBe(true);
  });

  it('is monotonic over the positive patterns, and negation is the sign bit', () => {
    let prev = -1;
    for (let h = 0; h < 0x7c00; h++) {
      const v = half(h);
      if (!(v > prev)) throw new Error(`0x${h.toString(16)} (${v}) is not above its predecessor (${prev})`);
      if (!Object.is(half(h | 0x8000), -v)) throw new Error(`0x${(h | 0x8000).toString(16)} is not −(0x${h.toString(16)})`);
      prev = v;
    }
  });

  it('writes into a given destination and returns it', () => {
    const dst = new Float32Array(2);
    expect(f16ToF32(Uint16Array.of(0x3c00, 0x4000), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([1, 2]);
  });
});

describe('f32ToF16', () => {
  it('encodes exactly representable values to their patterns', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [1023 * 2 ** -24, 0x03ff],
      [-(2 ** -24), 0x8001],
      [0, 0x0000],
      [-0, 0x8000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [x, h] of cases) expect(toHalf(x), `${x}`).toBe(h);
  });

  it('NaN stays a (quiet) NaN with its sign', () => {
    expect(toHalf(NaN)).toBe(0x7e00);
    expect(toHalf(fromBits(0xffc00000))).toBe(0xfe00);
    expect(toHalf(fromBits(0x7f800001))).toBe(0x7e00); // signalling payload below the half mantissa
    expect(Number.isNaN(half(toHalf(NaN)))).toBe(true);
  });

  it('rounds normals to nearest, ties to even', () => {
    const ulp = 2 ** -10;
    expect(toHalf(1 + ulp / 2)).toBe(0x3c00); // tie, 1 is even
    expect(toHalf(1 + (3 * ulp) / 2)).toBe(0x3c02); // tie, rounds up to even
    expect(toHalf(fromBits(f32Bits(1 + ulp / 2) + 1))).toBe(0x3c01); // just above the tie
    expect(toHalf(fromBits(f32Bits(1 + ulp / 2) - 1))).toBe(0x3c00); // just below
    expect(toHalf(-(1 + (3 * ulp) / 2))).toBe(0xbc02);
    expect(toHalf(2 - ulp / 4)).toBe(0x4000); // mantissa carry into the exponent
  });

  it('overflows to infinity at and past the rounding boundary 65520', () => {
    expect(toHalf(65519)).toBe(0x7bff);
    expect(toHalf(fromBits(f32Bits(65520) - 1))).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00); // tie between 65504 (odd) and 2^16: to even → ∞
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(-1e30)).toBe(0xfc00);
    expect(toHalf(3.4e38)).toBe(0x7c00);
  });

  it('rounds into and out of the subnormal range, ties to even', () => {
    const tiny = 2 ** -24;
    expect(toHalf(tiny / 2)).toBe(0x0000); // tie between 0 and 1 subnormal ulp: 0 is even
    expect(toHalf(fromBits(f32Bits(tiny / 2) + 1))).toBe(0x0001);
    expect(toHalf(tiny / 4)).toBe(0x0000);
    expect(toHalf(1e-10)).toBe(0x0000);
    expect(toHalf(-1e-10)).toBe(0x8000);
    expect(toHalf(1.5 * tiny)).toBe(0x0002); // tie between 1 and 2: 2 is even
    expect(toHalf(2.5 * tiny)).toBe(0x0002); // tie between 2 and 3
    expect(toHalf(1.75 * tiny)).toBe(0x0002);
    expect(toHalf(2 ** -14 - tiny / 2)).toBe(0x0400); // tie between the largest subnormal (odd) and the smallest normal
    expect(toHalf(2 ** -14 - tiny)).toBe(0x03ff);
    expect(toHalf(fromBits(1))).toBe(0x0000); // smallest float32 subnormal
  });

  it('every half value round-trips exactly through float32', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let h = 0; h < 65536; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      // NaN payloads and signs are not kept by the widening (the table holds one NaN): any NaN pattern is fine.
      if (isNaN) expect((back[h]! & 0x7c00) === 0x7c00 && (back[h]! & 0x3ff) !== 0).toBe(true);
      else if (back[h] !== h) throw new Error(`0x${h.toString(16)} → ${half(h)} → 0x${back[h]!.toString(16)}`);
    }
  });

  it('picks the nearest half for arbitrary float32 values (brute-force check of neighbours)', () => {
    let s = 12345;
    const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 20_000; i++) {
      // Exponents from deep subnormal to past the half range, both signs.
      const x = Math.fround((rnd() < 0.5 ? -1 : 1) * (1 + rnd()) * 2 ** Math.floor(-27 + rnd() * 44));
      const h = toHalf(x);
      const v = half(h);
      const err = Math.abs(v - x);
      if (Math.abs(x) >= 65520) {
        expect(Math.abs(v)).toBe(Infinity);
        continue;
      }
      for (const nb of [h - 1, h + 1]) {
        if ((nb & 0x7fff) >= 0x7c00 || nb < 0 || nb > 0xffff || (nb & 0x8000) !== (h & 0x8000)) continue;
        const e = Math.abs(half(nb) - x);
        if (e < err || (e === err && (h & 1) === 1)) throw new Error(`${x} → 0x${h.toString(16)} (${v}) but 0x${nb.toString(16)} (${half(nb)}) is nearer or the even tie`);
      }
    }
  });

  it('writes into a given destination and returns it', () => {
    const dst = new Uint16Array(3);
    expect(f32ToF16(Float32Array.of(1, -2, 0.5), dst)).toBe(dst);
    expect(Array.from(dst)).toEqual([0x3c00, 0xc000, 0x3800]);
  });
});

describe('f32ToBf16', () => {
  const toBf16 = (x: number) => f32ToBf16(Float32Array.of(x))[0]!;
  it('keeps values bf16 can hold exactly and rounds the rest to nearest, ties to even', () => {
    for (const h of [0x3f80, 0xbf80, 0x4049, 0x7f7f, 0x0080, 0x0001, 0x7f80, 0xff80, 0x0000, 0x8000]) expect(toBf16(bf16ToF32(Uint16Array.of(h))[0]!)).toBe(h);
    expect(toBf16(fromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(toBf16(fromBits(0x3f818000))).toBe(0x3f82); // tie, odd rounds up
    expect(toBf16(fromBits(0x3f808001))).toBe(0x3f81); // above the tie
    expect(toBf16(fromBits(0x3f807fff))).toBe(0x3f80); // below the tie
    expect(toBf16(fromBits(0x7f7fffff))).toBe(0x7f80); // largest float32 rounds to ∞
    expect(toBf16(fromBits(0xff7fffff))).toBe(0xff80);
  });
  it('NaN stays NaN, never becomes ∞', () => {
    for (const bits of [0x7fc00000, 0x7f800001, 0xffffffff]) expect(Number.isNaN(bf16ToF32(Uint16Array.of(toBf16(fromBits(bits))))[0])).toBe(true);
    expect(f32Bits(1)).toBe(0x3f800000);
  });
});
