/**
 * T5's bidirectional relative-position buckets, computed on the host and fed to the encoder
 * graph as an index matrix, so one graph serves every sequence length.
 *
 * For r = key_pos − query_pos: half the buckets are for r > 0. Offsets below max_exact = half/2
 * get their own bucket; larger ones are spaced logarithmically up to max_dist, clamped to the
 * last bucket of their half.
 */
import type { Tensor } from '../tensor.ts';

export function relativePositionBucket(r: number, numBuckets: number, maxDist: number): number {
  const half = numBuckets / 2;
  const base = r > 0 ? half : 0;
  const a = Math.abs(r);
  const maxExact = half / 2;
  if (a < maxExact) return base + a;
  // Upstream evaluates the log in float32 and divides by a float64 constant; round the same way.
  const logRatio = Math.fround(Math.log(Math.fround(a / maxExact)));
  const scaled = Math.fround(Math.fround(logRatio / Math.log(maxDist / maxExact)) * (half - maxExact));
  return base + Math.min(half - 1, maxExact + Math.trunc(scaled));
}

/** Bucket per offset r = −(length−1) … length−1 (index r + length − 1). */
export function bucketsByOffset(length: number, numBuckets: number, maxDist: number): Int32Array {
  const out = new Int32Array(2 * length - 1);
  for (let i = 0; i < out.length; i++) out[i] = relativePositionBucket(i - (length - 1), numBuckets, maxDist);
  return out;
}

/** The [Lq, Lk] bucket matrix the graph gathers its bias table with (int64, row = query). */
export function relativeBucketMatrix(length: number, numBuckets: number, maxDist: number): Tensor<'int64'> {
  const byOffset = bucketsByOffset(length, numBuckets, maxDist);
  const data = new BigInt64Array(length * length);
  for (let i = 0; i < length; i++) {
    for (let j = 0; j < length; j++) data[i * length + j] = BigInt(byOffset[j - i + length - 1]!);
  }
  return { dtype: 'int64', shape: [length, length], data };
}
