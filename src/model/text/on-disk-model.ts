/**
 * Large encoders (umt5-xxl: 5.7 B parameters, 22.7 GB as float32) cannot go through an in-memory
 * ModelProto: protobuf stops at 2 GiB. For those the checkpoint (any format: bf16 `.pth`,
 * safetensors) is converted ONCE, one tensor at a time, into a safetensors file in a cache
 * folder, and a `.onnx` file beside it whose initializers point straight into that file (the raw
 * bytes at their offsets, no second copy). ORT opens the `.onnx` by path.
 *
 * The converted file holds float32 weights, or (format int8) the token embedding and every
 * projection as 8-bit blocks (`<key>.int8` + `<key>.int8_scales`, onnx/int8.ts) and the rest as
 * float32: ~6.4 GB instead of 22.7 GB for umt5-xxl. Quantisation reads the checkpoint a tensor
 * (the embedding: a slice of rows) at a time, so no float32 copy of the model is ever held.
 *
 * The float16 variant (onnx/float16.ts) is written beside it on first use, in `fp16/`: a `.onnx`
 * with its half-precision weights in one external-data file, converted from the converted file one
 * tensor at a time (int8 codes stay 8-bit; their scales become half precision).
 *
 * The cache entry is keyed by the source file (path, size, mtime), the config and the format,
 * and every file is written under a temporary name and renamed, so an interrupted conversion is
 * redone.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toFloat16 } from '../onnx/float16.ts';
import type { Graph } from '../onnx/graph.ts';
import { fileInt8Params, int8CodesKey, int8ScalesKey } from '../onnx/int8.ts';
import { paramSource } from '../onnx/params.ts';
import { writeModel } from '../onnx/write-model.ts';
import type { ModelDtype } from '../runtime/session.ts';
import { safetensorsWeights } from '../weights/reader.ts';
import type { Checkpoint } from '../weights/checkpoint.ts';
import { checkInt8BlockSize, int8BlockCount, quantizeWeightInt8, type Int8Blocks } from '../weights/quantize.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { writeSafetensors, type TensorToWrite } from '../weights/safetensors-writer.ts';
import type { Umt5Config } from './config.ts';
import { buildUmt5EncoderGraph, type Umt5GraphOptions } from './graph.ts';
import { UMT5_INT8_BLOCK_SIZE, umt5Int8Params, umt5Params, type Umt5WeightFormat } from './param-spec.ts';

/** How the converted weights are stored (int8: `blockSize` columns per scale). */
export interface Umt5Storage {
  format: Umt5WeightFormat;
  blockSize?: number;
}

/** Above this many bytes of float32 weights, the model goes through the on-disk path. */
export const INLINE_WEIGHT_LIMIT = 1 << 30;

/** Float32 bytes of every encoder parameter for a config. */
export function umt5Float32Bytes(cfg: Umt5Config): number {
  let n = 0;
  for (const shape of umt5Params(cfg).values()) n += shape.reduce((a, b) => a * b, 1) * 4;
  return n;
}

/** Checks that the checkpoint has every parameter with the config's shape (errors name the file and key). */
export function checkUmt5Checkpoint(ckpt: Pick<Checkpoint, 'path' | 'has' | 'shape'>, cfg: Umt5Config): void {
  for (const [key, shape] of umt5Params(cfg)) {
    if (!ckpt.has(key)) throw new Error(`${ckpt.path}: missing UMT5 encoder weight "${key}"`);
    const got = ckpt.shape(key);
    if (got.join() !== shape.join()) throw new Error(`${ckpt.path}: weight "${key}" has shape [${got.join(', ')}], the config needs [${shape.join(', ')}]`);
  }
}

function cacheKey(source: string, cfg: Umt5Config, graph: Umt5GraphOptions, storage: Umt5Storage): string {
  const st = statSync(source);
  // float32 entries keep the key they had before int8 existed, so their caches stay valid.
  const format = storage.format === 'int8' ? { int8: storage.blockSize ?? UMT5_INT8_BLOCK_SIZE } : {};
  return createHash('sha256')
    .update(JSON.stringify({ source: resolve(source), size: st.size, mtime: st.mtimeMs, cfg, graph, ...format, v: 1 }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * The tensors of the converted file. An int8 weight becomes two entries, codes then scales; the
 * writer asks for them in that order, so each weight is quantised once and dropped after.
 */
function convertedTensors(ckpt: Checkpoint, cfg: Umt5Config, storage: Umt5Storage): TensorToWrite[] {
  const int8 = storage.format === 'int8' ? umt5Int8Params(cfg) : new Set<string>();
  const blockSize = storage.blockSize ?? UMT5_INT8_BLOCK_SIZE;
  if (int8.size) checkInt8BlockSize(blockSize);
  return [...umt5Params(cfg)].flatMap(([name, shape]): TensorToWrite[] => {
    if (!int8.has(name)) return [{ name, dtype: 'F32', shape, data: () => ckpt.getF32(name).data }];
    const [rows, cols] = shape as [number, number];
    const blocks = int8BlockCount(cols, blockSize);
    let pending: Int8Blocks | undefined;
    return [
      { name: int8CodesKey(name), dtype: 'U8', shape: [rows, blocks, blockSize], data: () => (pending = quantizeWeightInt8(ckpt, name, shape, blockSize)).codes },
      {
        name: int8ScalesKey(name),
        dtype: 'F32',
        shape: [rows, blocks],
        data: () => {
          const q = pending ?? quantizeWeightInt8(ckpt, name, shape, blockSize);
          pending = undefined;
          return q.scales;
        },
      },
    ];
  });
}

/** The encoder graph over a converted weight file (float32, or int8 projections plus float32 rest). */
function graphOverFile(file: SafetensorsFile, cfg: Umt5Config, graphOpts: Umt5GraphOptions, storage: Umt5Storage): Graph {
  return buildUmt5EncoderGraph(
    cfg,
    (g) => ({ p: paramSource(g, safetensorsWeights(file)), int8: storage.format === 'int8' ? fileInt8Params(g, file) : undefined }),
    graphOpts,
  );
}

/**
 * Returns the path of a `.onnx` model (converting on first use) for this checkpoint, config,
 * storage format and precision.
 */
export function prepareOnDiskUmt5(
  ckpt: Checkpoint,
  cfg: Umt5Config,
  cacheDir: string,
  graphOpts: Umt5GraphOptions = {},
  storage: Umt5Storage = { format: 'f32' },
  dtype: ModelDtype = 'fp32',
): string {
  checkUmt5Checkpoint(ckpt, cfg);
  const dir = join(cacheDir, `umt5-${storage.format === 'int8' ? 'int8-' : ''}${cacheKey(ckpt.path, cfg, graphOpts, storage)}`);
  const weightsPath = join(dir, 'weights.safetensors');
  const modelPath = join(dir, 'model.onnx');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(weightsPath)) writeSafetensors(weightsPath, convertedTensors(ckpt, cfg, storage), { source: resolve(ckpt.path), format: storage.format });
  if (!existsSync(modelPath)) {
    const file = new SafetensorsFile(weightsPath);
    try {
      const bytes = graphOverFile(file, cfg, graphOpts, storage).toBytes({
        externalLocation: (init) => (init.data.kind === 'external' && init.data.path === weightsPath ? { location: 'weights.safetensors', offset: init.data.offset } : undefined),
      });
      const tmp = `${modelPath}.${process.pid}.partial`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, modelPath);
    } finally {
      file.close();
    }
  }
  return dtype === 'fp16' ? prepareFloat16(dir, weightsPath, cfg, graphOpts, storage) : modelPath;
}

/** `fp16/model.onnx` (+ `.data`) in the cache entry, converted from its weight file on first use. */
function prepareFloat16(dir: string, weightsPath: string, cfg: Umt5Config, graphOpts: Umt5GraphOptions, storage: Umt5Storage): string {
  const done = join(dir, 'fp16');
  const modelPath = join(done, 'model.onnx');
  if (existsSync(modelPath)) return modelPath;
  // The model names its data file, so both are written in a temporary folder renamed as a whole.
  const tmp = `${done}.${process.pid}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const file = new SafetensorsFile(weightsPath);
  try {
    writeModel(toFloat16(graphOverFile(file, cfg, graphOpts, storage)), join(tmp, 'model.onnx'));
  } finally {
    file.close();
  }
  rmSync(done, { recursive: true, force: true });
  renameSync(tmp, done);
  return modelPath;
}
