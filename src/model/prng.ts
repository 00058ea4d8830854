/**
 * The project's seeded pseudo-random generator (xoshiro128** seeded through splitmix32, normal
 * samples by Box–Muller). A primitive: the pipeline's per-chunk noise and the random test/demo
 * weights both draw from it, so it lives beside tensor.ts rather than in either of them.
 */
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** xoshiro128** — small, fast, well-distributed 32-bit generator. */
export class Xoshiro128 {
  #s = new Uint32Array(4);

  constructor(seed: number, stream = 0) {
    const sm = splitmix32((seed ^ Math.imul(stream + 1, 0x27d4eb2d)) >>> 0);
    for (let i = 0; i < 4; i++) this.#s[i] = sm();
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1;
  }

  nextU32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in (0, 1). */
  nextUnit(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** Fills `out` with standard normal samples (Box–Muller, both outputs used). */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(this.nextUnit()));
      const a = 2 * Math.PI * this.nextUnit();
      out[i] = r * Math.cos(a);
      if (i + 1 < out.length) out[i + 1] = r * Math.sin(a);
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
