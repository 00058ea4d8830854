/**
 * Large encoders (umt5-xxl: 5.7 B parameters, 22.7 GB as float32) cannot go through an in-memory
 * ModelProto: protobuf stops at 2 GiB. For those the checkpoint (any format: bf16 `.pth`,
 * safetensors) is converted ONCE, one tensor at a time, into a float32 safetensors file in a
 * cache folder, and a `.onnx` file beside it whose initializers point straight into that file
 * (the raw float32 bytes at their offsets, no second copy). ORT opens the `.onnx` by path.
 *
 * The float16 variant (onnx/float16.ts) is written beside it on first use, in `fp16/`: a `.onnx`
 * with its half-precision weights in one external-data file, converted from the float32 file one
 * tensor at a time.
 *
 * The cache entry is keyed by the source file (path, size, mtime) and the config, and every file
 * is written under a temporary name and renamed, so an interrupted conversion is redone.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toFloat16 } from '../onnx/float16.ts';
import { paramSource } from '../onnx/params.ts';
import { writeModel } from '../onnx/write-model.ts';
import type { ModelDtype } from '../runtime/session.ts';
import { safetensorsWeights } from '../weights/reader.ts';
import type { Checkpoint } from '../weights/checkpoint.ts';
import { SafetensorsFile } from '../weights/safetensors.ts';
import { writeSafetensors } from '../weights/safetensors-writer.ts';
import type { Umt5Config } from './config.ts';
import { buildUmt5EncoderGraph, type Umt5GraphOptions } from './graph.ts';
import { umt5Params } from './param-spec.ts';

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

function cacheKey(source: string, cfg: Umt5Config, graph: Umt5GraphOptions): string {
  const st = statSync(source);
  return createHash('sha256')
    .update(JSON.stringify({ source: resolve(source), size: st.size, mtime: st.mtimeMs, cfg, graph, v: 1 }))
    .digest('hex')
    .slice(0, 16);
}

/** Returns the path of a `.onnx` model (converting on first use) for this checkpoint and config. */
export function prepareOnDiskUmt5(ckpt: Checkpoint, cfg: Umt5Config, cacheDir: string, graphOpts: Umt5GraphOptions = {}, dtype: ModelDtype = 'fp32'): string {
  checkUmt5Checkpoint(ckpt, cfg);
  const dir = join(cacheDir, `umt5-${cacheKey(ckpt.path, cfg, graphOpts)}`);
  const weightsPath = join(dir, 'weights.safetensors');
  const modelPath = join(dir, 'model.onnx');
  mkdirSync(dir, { recursive: true });
  if (!existsSync(weightsPath)) {
    const tensors = [...umt5Params(cfg)].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: () => ckpt.getF32(name).data }));
    writeSafetensors(weightsPath, tensors, { source: resolve(ckpt.path) });
  }
  if (!existsSync(modelPath)) {
    const file = new SafetensorsFile(weightsPath);
    try {
      const graph = buildUmt5EncoderGraph(cfg, (g) => paramSource(g, safetensorsWeights(file)), graphOpts);
      const bytes = graph.toBytes({
        externalLocation: (init) => (init.data.kind === 'external' && init.data.path === weightsPath ? { location: 'weights.safetensors', offset: init.data.offset } : undefined),
      });
      const tmp = `${modelPath}.${process.pid}.partial`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, modelPath);
    } finally {
      file.close();
    }
  }
  return dtype === 'fp16' ? prepareFloat16(dir, weightsPath, cfg, graphOpts) : modelPath;
}

/** `fp16/model.onnx` (+ `.data`) in the cache entry, converted from its float32 weights on first use. */
function prepareFloat16(dir: string, weightsPath: string, cfg: Umt5Config, graphOpts: Umt5GraphOptions): string {
  const done = join(dir, 'fp16');
  const modelPath = join(done, 'model.onnx');
  if (existsSync(modelPath)) return modelPath;
  // The model names its data file, so both are written in a temporary folder renamed as a whole.
  const tmp = `${done}.${process.pid}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const file = new SafetensorsFile(weightsPath);
  try {
    writeModel(toFloat16(buildUmt5EncoderGraph(cfg, (g) => paramSource(g, safetensorsWeights(file)), graphOpts)), join(tmp, 'model.onnx'));
  } finally {
    file.close();
  }
  rmSync(done, { recursive: true, force: true });
  renameSync(tmp, done);
  return modelPath;
}
