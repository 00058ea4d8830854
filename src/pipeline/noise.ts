/**
 * Deterministic Gaussian noise for the per-chunk loop. Each chunk gets its own stream seeded
 * from (session seed, absolute latent frame of the chunk's start) — like scope's
 * `torch.Generator().manual_seed(base_seed + current_start_frame)` — and the initial latents
 * and every re-noising draw come from that one stream in order. The generator is our own
 * (xoshiro128** + Box–Muller), so values differ from torch's, but are reproducible across runs
 * and machines.
 */
export interface ChunkNoise {
  /** Initial latents of the chunk (x_t of step 0). */
  initial(size: number): Float32Array;
  /** ε for the re-noising before step `step` (1-based: step 1 is the second model call). */
  renoise(step: number, size: number): Float32Array;
}

export interface NoiseSource {
  forChunk(startFrame: number): ChunkNoise;
}

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

export class SeededNoise implements NoiseSource {
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`noise seed must be an integer, got ${seed}`);
    this.seed = seed;
  }

  forChunk(startFrame: number): ChunkNoise {
    const rng = new Xoshiro128(this.seed, startFrame);
    let nextStep = 1;
    return {
      initial: (size) => rng.fillNormal(new Float32Array(size)),
      renoise: (step, size) => {
        // Draws are sequential, as with one torch.Generator per chunk.
        if (step !== nextStep) throw new Error(`noise for step ${step} requested out of order (expected ${nextStep})`);
        nextStep++;
        return rng.fillNormal(new Float32Array(size));
      },
    };
  }
}
