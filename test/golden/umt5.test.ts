import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUmt5Config } from '../../src/model/text/config.ts';
import { Umt5Encoder, type Umt5Outputs } from '../../src/model/text/encoder.ts';
import { bucketsByOffset } from '../../src/model/text/relative-position.ts';
import { safetensorsWeights } from '../../src/model/weights/reader.ts';
import { SafetensorsFile } from '../../src/model/weights/safetensors.ts';
import { i64, type F32Tensor, type Tensor } from '../../src/model/tensor.ts';
import { Fixture, expectClose, expectCloseData, relativeRms, type Tolerance, itComparesEveryRecordedTensor } from '../support/fixtures.ts';
import { FP16_RELATIVE_BOUND, goldenDtype, goldenSession } from '../support/golden-device.ts';

const fx = new Fixture('umt5');
const cfg = parseUmt5Config(fx.manifest.config, `${fx.dir}/manifest.json config`);
// Each recorded case is `<case>.ids` + `<case>.mask`; the main case's outputs are recorded under `output.`.
const cases = fx.tensorNames(/^[a-z_]+\.ids$/).map((n) => n.slice(0, -'.ids'.length));
const outPrefix = (c: string) => (c === 'input' ? 'output' : c);

/** The manifest's tolerance for `key`; a per-key entry ("exact", or only an atol) leaves nothing unstated at the default. */
function tolerance(key: string): Tolerance {
  const perKey = (fx.manifest.tolerance?.per_key as Record<string, { atol?: number; rtol?: number; exact?: boolean }> | undefined)?.[key];
  if (!perKey) return fx.tolerance(key);
  if (perKey.exact) return { atol: 0, rtol: 0 };
  return { atol: perKey.atol ?? 0, rtol: perKey.rtol ?? 0 };
}

function rowsOf(t: F32Tensor, row: number, count: number): number[] {
  const dim = t.shape[t.shape.length - 1]!;
  return Array.from(t.data.subarray(row * dim, (row + count) * dim));
}


/**
 * Compares `got` with reference data of key `key` (the whole tensor or a slice of it); throws
 * with the key, `where` and the size of the error when they differ by more than allowed.
 */
type Compare = (key: string, got: ArrayLike<number>, ref: Float32Array, shape: readonly number[], where?: string) => void;

/** The float32-weight encoder: the manifest's element-wise tolerance. */
const manifestTolerance: Compare = (key, got, ref, shape, where = '') => {
  // Under VACE_DTYPE=fp16 this is the suite's fp16 bound (support/golden-device.ts).
  expectCloseData(fx, key, `${key}${where}`, got, ref, shape, tolerance(key));
};

/**
 * How far the int8 encoder (weights/quantize.ts: symmetric 8-bit blocks of 32 columns, scale =
 * the block's largest |w| / 127) may be from the float32 reference, per tensor:
 *   ‖got − ref‖₂ ≤ INT8_RELATIVE_RMS · ‖ref‖₂   and   max |got − ref| ≤ INT8_RELATIVE_MAX · max |ref|.
 * Why these numbers: each weight moves by at most half a quantisation step, which for a
 * Gaussian-like matrix is ~0.55 % RMS; seven quantised projections per block plus the embedding
 * compound that to 1–2 %. On CPU the encoder's default also quantises activations to int8 inside
 * MatMulNBits (onnx/int8.ts). Measured on this fixture, CPU: embeddings 0.6 %, block outputs and
 * context ≤ 2.2 % RMS, worst element 2.6 % of the tensor's peak (weight-only, as WebGPU computes
 * it: ≤ 1.9 % and 2.2 %). The wiring itself is checked exactly in
 * test/unit/model/text/on-disk-model.test.ts (int8 graph = float32 graph on the dequantised weights).
 */
const INT8_RELATIVE_RMS = 0.03;
const INT8_RELATIVE_MAX = 0.05;

const int8Tolerance: Compare = (key, got, ref, _shape, where = '') => {
  let err2 = 0;
  let ref2 = 0;
  let maxErr = 0;
  let peak = 0;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    err2 += d * d;
    ref2 += ref[i]! * ref[i]!;
    maxErr = Number.isNaN(d) ? Infinity : Math.max(maxErr, d);
    peak = Math.max(peak, Math.abs(ref[i]!));
  }
  expect(Math.sqrt(err2 / ref2), `${key}${where}: relative RMS error`).toBeLessThanOrEqual(INT8_RELATIVE_RMS);
  expect(maxErr / peak, `${key}${where}: max |got-ref| ${maxErr.toExponential(3)} over peak |ref| ${peak.toExponential(3)}`).toBeLessThanOrEqual(INT8_RELATIVE_MAX);
};

/**
 * Every per-case check, for the encoder `load` gives. `compare` judges outputs that depend on the
 * weights' precision; position biases are float32 table lookups in both variants and padding
 * invariance is a property of the computation whatever the weights, so those two keep the
 * manifest's tolerance.
 */
function describeCases(load: () => Promise<Umt5Encoder>, compare: Compare): void {
  let encoder: Umt5Encoder;
  beforeAll(async () => {
    encoder = await load();
  });
  afterAll(async () => encoder?.release());

  for (const c of cases) {
    describe(`case "${c}"`, () => {
      const out = outPrefix(c);
      let ids: Tensor<'int64'>;
      let mask: Tensor<'int64'>;
      let res: Umt5Outputs;
      beforeAll(async () => {
        ids = fx.io.get(`${c}.ids`) as Tensor<'int64'>;
        mask = fx.io.get(`${c}.mask`) as Tensor<'int64'>;
        res = await encoder.encode(ids, mask);
      });

      const check = (key: string, pick: () => F32Tensor | undefined, how: Compare = compare) => {
        it(key, () => {
          const got = pick();
          expect(got, `${key}: the encoder produced no such output`).toBeDefined();
          const ref = fx.io.getF32(key);
          fx.markCompared(key);
          expect([...got!.shape], `${key}: shape`).toEqual([...ref.shape]);
          how(key, got!.data, ref.data, ref.shape);
        });
      };
      if (fx.tensorNames(new RegExp(`^${out}\\.embeddings$`)).length) check(`${out}.embeddings`, () => res.debug.embeddings);
      for (const key of fx.tensorNames(new RegExp(`^${c}\\.pos_bias\\.\\d+$`))) {
        const i = key.slice(key.lastIndexOf('.') + 1);
        check(key, () => res.debug[`pos_bias.${i}`], manifestTolerance);
      }
      for (const key of fx.tensorNames(new RegExp(`^${out}\\.block\\.\\d+$`))) {
        const i = key.slice(key.lastIndexOf('.') + 1);
        check(key, () => res.debug[`block.${i}`]);
      }
      if (fx.tensorNames(new RegExp(`^${out}\\.context$`)).length) check(`${out}.context`, () => res.context);
      if (fx.tensorNames(new RegExp(`^${out}\\.prompt_embeds$`)).length) {
        check(`${out}.prompt_embeds`, () => res.promptEmbeds);
        it(`${out}.prompt_embeds, each row encoded at its real length and zero-padded`, async () => {
          const key = `${out}.prompt_embeds`;
          const ref = fx.io.getF32(key);
          const [B, L] = ids.shape as [number, number];
          const dim = ref.shape[2]!;
          for (let b = 0; b < B; b++) {
            const row = (t: Tensor<'int64'>) => i64([1, L], t.data.slice(b * L, (b + 1) * L));
            const got = await encoder.encodePromptEmbeds(row(ids), row(mask));
            compare(key, got.data, ref.data.subarray(b * L * dim, (b + 1) * L * dim), [1, L, dim], ` row ${b}`);
          }
        });
      }

      it('real-token outputs do not depend on the padding that follows', async () => {
        const [B, L] = ids.shape as [number, number];
        const maxAbs = (fx.manifest.facts as { padding_invariance_maxabs?: number } | undefined)?.padding_invariance_maxabs ?? 0;
        const tol = fx.tolerance(`${out}.context`);
        for (let b = 0; b < B; b++) {
          let len = 0;
          while (len < L && mask.data[b * L + len] === 1n) len++;
          const rowIds = i64([1, len], ids.data.slice(b * L, b * L + len));
          const alone = await encoder.encode(rowIds, i64([1, len], new Array<number>(len).fill(1)));
          const padded = rowsOf(res.context, b * L, len);
          const unpadded = rowsOf(alone.context, 0, len);
          let worst = 0;
          padded.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - unpadded[k]!))));
          // Under fp16 the two runs round differently (other lengths, other kernels): the fp16 bound applies.
          if (goldenDtype() === 'fp16') expect(relativeRms(unpadded, padded), `row ${b}: ${len} real tokens, relative RMS`).toBeLessThanOrEqual(FP16_RELATIVE_BOUND);
          else expect(worst, `row ${b}: ${len} real tokens`).toBeLessThanOrEqual(maxAbs + tol.atol);
        }
      });
    });
  }
}

const fixtureWeights = () => safetensorsWeights(new SafetensorsFile(fx.weightsPath()));

describe('umt5', () => {
  it('config comes from the manifest and names a real encoder', () => {
    expect(cases.length).toBeGreaterThan(0);
    expect(cfg.encoder_layers).toBeGreaterThan(0);
  });

  const bucketKey = 'output.rel_bucket_by_offset';
  if (fx.tensorNames(/^output\.rel_bucket_by_offset$/).length > 0) {
    it('relative-position bucket for every offset', () => {
      const n = fx.io.get(bucketKey).shape[0]!;
      const length = (n + 1) / 2;
      const got = bucketsByOffset(length, cfg.num_buckets, cfg.max_dist);
      expectClose(fx, bucketKey, i64([n], Array.from(got)), tolerance(bucketKey));
    });
  }

  describeCases(() => Umt5Encoder.load(cfg, fixtureWeights(), { debug: true, ...goldenSession() }), manifestTolerance);

  describe('int8', () => {
    describeCases(() => Umt5Encoder.load(cfg, fixtureWeights(), { debug: true, weights: 'int8', ...goldenSession() }), int8Tolerance);
  });

  itComparesEveryRecordedTensor(fx, [/^input\./, /^short\.(ids|mask)$/]);
});
