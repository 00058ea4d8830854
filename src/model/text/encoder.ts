/**
 * Runs the UMT5 encoder graph: checks ids and mask, supplies the relative-position bucket
 * matrix for the sequence length, and returns our own tensors. One session serves every batch
 * size, length and prompt.
 */
import { dirname, join } from 'node:path';
import { inlineInt8Params, type Int8Activations } from '../onnx/int8.ts';
import { kernelSet } from '../onnx/kernels.ts';
import { paramSource } from '../onnx/params.ts';
import { safetensorsWeights, type WeightReader } from '../weights/reader.ts';
import { ModelSession, type SessionOptions } from '../runtime/session.ts';
import type { F32Tensor, Tensor } from '../tensor.ts';
import { openCheckpoint } from '../weights/checkpoint.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import type { Umt5Config } from './config.ts';
import { buildUmt5EncoderGraph } from './graph.ts';
import { checkUmt5Checkpoint, INLINE_WEIGHT_LIMIT, prepareOnDiskUmt5, umt5Float32Bytes } from './on-disk-model.ts';
import { UMT5_INT8_BLOCK_SIZE, UMT5_WEIGHT_FORMATS, type Umt5WeightFormat } from './param-spec.ts';
import { relativeBucketMatrix } from './relative-position.ts';

export interface Umt5EncoderOptions extends SessionOptions {
  /** Also return embeddings, every block's output and every block's position bias. */
  debug?: boolean;
  /**
   * 'f32' (default): float32 weights, as the checkpoint's values widened. 'int8': the token
   * embedding and every projection as symmetric 8-bit blocks of `int8BlockSize` columns
   * (weights/quantize.ts), quantised at load time; umt5-xxl then needs ~6.4 GB instead of 22.7 GB.
   */
  weights?: Umt5WeightFormat;
  /** Columns per int8 scale (a power of two ≥ 16; default UMT5_INT8_BLOCK_SIZE). */
  int8BlockSize?: number;
  /** With int8 weights: 'int8' (default) lets the CPU provider quantise activations too (~70× faster there); 'float32' is weight-only. */
  int8Activations?: Int8Activations;
}

export interface Umt5Outputs {
  /** Final RMS norm of the last block [B, L, dim]; padded rows are not zero. */
  context: F32Tensor;
  /** `context` with rows where mask = 0 set to 0 (what the DiT is given) [B, L, dim]. */
  promptEmbeds: F32Tensor;
  /** `embeddings`, `block.i`, `pos_bias.i` when loaded with `debug`. */
  debug: Record<string, F32Tensor>;
}

export class Umt5Encoder {
  readonly cfg: Umt5Config;
  readonly #session: ModelSession;
  readonly #buckets = new Map<number, Tensor<'int64'>>();
  #released = false;

  private constructor(cfg: Umt5Config, session: ModelSession) {
    this.cfg = cfg;
    this.#session = session;
  }

  /** Builds the encoder in memory from `weights` (quantising them first when opts.weights is 'int8'). */
  static async load(cfg: Umt5Config, weights: WeightReader, opts: Umt5EncoderOptions = {}): Promise<Umt5Encoder> {
    const format = checkFormat(opts.weights);
    const blockSize = opts.int8BlockSize ?? UMT5_INT8_BLOCK_SIZE;
    const graph = buildUmt5EncoderGraph(
      cfg,
      (g) => ({ p: paramSource(g, weights), int8: format === 'int8' ? inlineInt8Params(g, weights, blockSize) : undefined }),
      { debug: opts.debug, int8Activations: format === 'int8' ? opts.int8Activations : undefined, kernels: kernelSet(opts.device, opts.kernels) },
    );
    return new Umt5Encoder(cfg, await ModelSession.fromGraph(graph, opts));
  }

  /**
   * Opens a checkpoint (safetensors, or a torch `.pth` in f32/bf16/f16) with the T5Encoder
   * state-dict keys. Models whose float32 weights exceed `inlineWeightLimit` (umt5-xxl) are
   * converted once into `cacheDir` (default: `converted/` beside the checkpoint; as float32 or
   * int8, `opts.weights`, plus a float16 variant when `dtype` is fp16) and opened from disk;
   * smaller ones are built in memory.
   */
  static async open(path: string, cfg: Umt5Config, opts: Umt5EncoderOptions & { cacheDir?: string; inlineWeightLimit?: number } = {}): Promise<Umt5Encoder> {
    const ckpt = openCheckpoint(path);
    try {
      checkUmt5Checkpoint(ckpt, cfg);
      if (umt5Float32Bytes(cfg) > (opts.inlineWeightLimit ?? INLINE_WEIGHT_LIMIT)) {
        const format = checkFormat(opts.weights);
        const graphOpts = { debug: opts.debug, int8Activations: format === 'int8' ? opts.int8Activations : undefined, kernels: kernelSet(opts.device, opts.kernels) };
        const modelPath = prepareOnDiskUmt5(ckpt, cfg, opts.cacheDir ?? join(dirname(path), 'converted'), graphOpts, { format, blockSize: opts.int8BlockSize }, opts.dtype);
        return new Umt5Encoder(cfg, await ModelSession.fromFile(modelPath, opts));
      }
      // F32 safetensors tensors are referenced by file offset (no copy); other formats are widened.
      const file = ckpt.format === 'safetensors' ? new SafetensorsFile(path) : undefined;
      try {
        return await Umt5Encoder.load(cfg, file ? safetensorsWeights(file) : ckpt, opts);
      } finally {
        file?.close();
      }
    } finally {
      ckpt.close(); // the session holds its own copy of the weights (or maps the converted file)
    }
  }

  /** Where the session runs (after any CPU fallback). */
  get device(): string {
    return this.#session.device;
  }

  #bucketMatrix(length: number): Tensor<'int64'> {
    let m = this.#buckets.get(length);
    if (!m) {
      m = relativeBucketMatrix(length, this.cfg.num_buckets, this.cfg.max_dist);
      this.#buckets.set(length, m);
    }
    return m;
  }

  /** ids and mask [B, L] int64; the mask must be a prefix of ones (tokens, then padding). */
  async encode(ids: Tensor<'int64'>, mask: Tensor<'int64'>): Promise<Umt5Outputs> {
    if (this.#released) throw new Error('Umt5Encoder: encode() after release()');
    validateTokens(ids, mask, this.cfg.vocab_size);
    const length = ids.shape[1]!;
    const out = await this.#session.run({ ids, mask, rel_buckets: this.#bucketMatrix(length) });
    const debug: Record<string, F32Tensor> = {};
    for (const [name, t] of Object.entries(out)) if (name !== 'context' && name !== 'prompt_embeds') debug[name] = t as F32Tensor;
    return { context: out.context as F32Tensor, promptEmbeds: out.prompt_embeds as F32Tensor, debug };
  }

  /**
   * Prompt embeddings [B, L, dim] computed at the batch's longest real length instead of L, then
   * zero-padded back to L. Exact in law: keys past a row's length are masked out and the
   * relative-position bias depends only on offsets, so real-token outputs do not depend on the
   * padding that follows (spec §2.3); padded rows are zero in the result anyway. For a typical
   * 20-token prompt this is ~25× less work than encoding all 512 positions.
   */
  async encodePromptEmbeds(ids: Tensor<'int64'>, mask: Tensor<'int64'>): Promise<F32Tensor> {
    validateTokens(ids, mask, this.cfg.vocab_size);
    const [B, L] = ids.shape as [number, number];
    let longest = 1;
    for (let b = 0; b < B; b++) {
      let n = 0;
      while (n < L && mask.data[b * L + n] === 1n) n++;
      longest = Math.max(longest, n);
    }
    if (longest === L) return (await this.encode(ids, mask)).promptEmbeds;
    const cut = (t: Tensor<'int64'>): Tensor<'int64'> => {
      const data = new BigInt64Array(B * longest);
      for (let b = 0; b < B; b++) data.set(t.data.subarray(b * L, b * L + longest), b * longest);
      return { dtype: 'int64', shape: [B, longest], data };
    };
    const short = (await this.encode(cut(ids), cut(mask))).promptEmbeds;
    const dim = this.cfg.dim;
    const out = new Float32Array(B * L * dim);
    for (let b = 0; b < B; b++) out.set(short.data.subarray(b * longest * dim, (b + 1) * longest * dim), b * L * dim);
    return { dtype: 'float32', shape: [B, L, dim], data: out };
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#session.release();
  }
}

function checkFormat(format: Umt5WeightFormat | undefined): Umt5WeightFormat {
  const f = format ?? 'f32';
  if (!UMT5_WEIGHT_FORMATS.includes(f)) throw new Error(`UMT5 encoder: weights must be ${UMT5_WEIGHT_FORMATS.join(' or ')}, got ${JSON.stringify(format)}`);
  return f;
}

function validateTokens(ids: Tensor<'int64'>, mask: Tensor<'int64'>, vocab: number): void {
  if (ids.dtype !== 'int64' || mask.dtype !== 'int64') throw new Error(`UMT5 encode: ids and mask must be int64 (got ${ids.dtype}, ${mask.dtype})`);
  if (ids.shape.length !== 2) throw new Error(`UMT5 encode: ids must be [B, L], got [${ids.shape.join(', ')}]`);
  if (ids.shape.join() !== mask.shape.join()) throw new Error(`UMT5 encode: mask [${mask.shape.join(', ')}] does not match ids [${ids.shape.join(', ')}]`);
  const [B, L] = ids.shape as [number, number];
  if (L === 0) throw new Error('UMT5 encode: zero-length sequence');
  for (let b = 0; b < B; b++) {
    let padding = false;
    for (let j = 0; j < L; j++) {
      const id = ids.data[b * L + j]!;
      if (id < 0n || id >= BigInt(vocab)) throw new Error(`UMT5 encode: ids[${b}, ${j}] = ${id} is outside the vocabulary [0, ${vocab})`);
      const m = mask.data[b * L + j]!;
      if (m !== 0n && m !== 1n) throw new Error(`UMT5 encode: mask[${b}, ${j}] = ${m}, expected 0 or 1`);
      if (m === 0n) padding = true;
      else if (padding) throw new Error(`UMT5 encode: mask row ${b} has a real token at ${j} after padding (expected ones, then zeros)`);
    }
    if (mask.data[b * L] === 0n) throw new Error(`UMT5 encode: mask row ${b} has no real token (a prompt always has at least </s>)`);
  }
}
