/**
 * Deterministic Gaussian noise for the per-chunk loop. Each chunk gets its own stream seeded
 * from (session seed, absolute latent frame of the chunk's start) — like scope's
 * `torch.Generator().manual_seed(base_seed + current_start_frame)` — and the initial latents
 * and every re-noising draw come from that one stream in order. The generator is our own
 * (xoshiro128** + Box–Muller), so values differ from torch's, but are reproducible across runs
 * and machines.
 */
import { Xoshiro128 } from '../model/prng.ts';

export interface ChunkNoise {
  /** Initial latents of the chunk (x_t of step 0). */
  initial(size: number): Float32Array;
  /** ε for the re-noising before step `step` (1-based: step 1 is the second model call). */
  renoise(step: number, size: number): Float32Array;
}

export interface NoiseSource {
  forChunk(startFrame: number): ChunkNoise;
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
