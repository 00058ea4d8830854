/** Widening of half-precision storages to float32 (bit-exact). */

/** float32 → bfloat16 (the top 16 bits), rounding to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
      dst[i] = (x >>> 16) | 0x40;
      continue;
    }
    // Adding 0x7fff plus the kept LSB rounds half to even; a carry into the exponent is right (it rounds up to the next binade or to ∞).
    dst[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return dst;
}

/** bfloat16 is the top 16 bits of a float32: shifting back is exact. */
export function bf16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i]! << 16;
  return dst;
}

// IEEE half → float: a lookup table over all 65536 bit patterns is exact and fast.
let f16Table: Float32Array | undefined;
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) t[h] = sign * frac * 2 ** -24;
    else if (exp === 31) t[h] = frac ? NaN : sign * Infinity;
    else t[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  f16Table = t;
  return t;
}

export function f16ToF32(src: Uint16Array, dst = new Float32Array(src.length)): Float32Array {
  const table = halfTable();
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i]!]!;
  return dst;
}

/** float32 → IEEE half, round to nearest even (for GPU weights). */
export function f32ToF16(src: Float32Array, dst = new Uint16Array(src.length)): Uint16Array {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    let exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    if (((x >>> 23) & 0xff) === 0xff) {
      dst[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    if (exp >= 31) {
      dst[i] = sign | 0x7c00;
      continue;
    }
    if (exp <= 0) {
      if (exp < -10) {
        dst[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - exp;
      let h = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      if (rem > half || (rem === half && h & 1)) h++;
      dst[i] = sign | h;
      continue;
    }
    let h = (exp << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
    dst[i] = sign | h;
  }
  return dst;
}
