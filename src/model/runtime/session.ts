/**
 * The only module that touches onnxruntime-node. Everything else passes our own Tensor type.
 * Provider choice is explicit: ORT does not fall back by itself when a listed provider fails,
 * so a failing GPU provider is logged once and the session is retried on CPU.
 */
import { rmSync } from 'node:fs';
import { readFileRange } from '../weights/read-range.ts';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../onnx/graph.ts';
import type { KernelChoice } from '../onnx/kernels.ts';
import { writeModel } from '../onnx/write-model.ts';
import { toFloat16 } from '../onnx/float16.ts';

/** Models with more weight bytes than this are loaded from a file with external data. */
const INLINE_LIMIT = 1 << 30;
let modelCounter = 0;
import type { DType, Tensor } from '../tensor.ts';

export type Device = 'cpu' | 'webgpu' | 'cuda';

/** Arithmetic precision of a model built from a graph (see onnx/float16.ts for what fp16 keeps in fp32). */
export type ModelDtype = 'fp32' | 'fp16';

export interface SessionOptions {
  device?: Device;
  /** Intra-op threads (default: ORT's choice, all cores). */
  threads?: number;
  /** Called once when a requested provider failed and the CPU retry is used. */
  onFallback?: (device: Device, error: Error) => void;
  /** Weight bytes above which fromGraph loads from a file with external data (default 1 GiB). */
  inlineLimitBytes?: number;
  /** fromGraph: 'fp16' runs the graph's float16 variant (inputs and outputs stay float32). Default fp32. */
  dtype?: ModelDtype;
  /**
   * Fused kernels for the graphs a model builds (onnx/kernels.ts): 'auto' (default) takes the set
   * chosen for `device`; 'fused' / 'plain' force one (tests prove both against upstream).
   */
  kernels?: KernelChoice;
}

export class ModelSession {
  readonly #session: ort.InferenceSession;
  readonly device: Device;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];

  private constructor(session: ort.InferenceSession, device: Device) {
    this.#session = session;
    this.device = device;
    this.inputNames = session.inputNames;
    this.outputNames = session.outputNames;
  }

  /** Builds a session from model bytes (weights inline). */
  static async fromBytes(bytes: Uint8Array, opts: SessionOptions = {}): Promise<ModelSession> {
    const device = opts.device ?? 'cpu';
    const base: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    };
    if (device !== 'cpu') {
      try {
        return new ModelSession(await ort.InferenceSession.create(bytes, { ...base, executionProviders: [device] }), device);
      } catch (e) {
        opts.onFallback?.(device, e as Error);
      }
    }
    return new ModelSession(await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] }), 'cpu');
  }

  /** Loads a `.onnx` file (external data is resolved next to it). */
  static async fromFile(path: string, opts: SessionOptions = {}): Promise<ModelSession> {
    const device = opts.device ?? 'cpu';
    const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}) };
    if (device !== 'cpu') {
      try {
        return new ModelSession(await ort.InferenceSession.create(path, { ...base, executionProviders: [device] }), device);
      } catch (e) {
        opts.onFallback?.(device, e as Error);
      }
    }
    return new ModelSession(await ort.InferenceSession.create(path, { ...base, executionProviders: ['cpu'] }), 'cpu');
  }

  /**
   * Builds a session from a graph. Small models are serialised with their weights inline; past
   * INLINE_LIMIT (protobuf cannot exceed 2 GiB) the model is written beside the weight file its
   * external initializers point into, referencing them in place, and loaded by path.
   */
  static async fromGraph(built: Graph, opts: SessionOptions = {}): Promise<ModelSession> {
    const graph = opts.dtype === 'fp16' ? toFloat16(built) : built;
    if (graph.weightBytes < (opts.inlineLimitBytes ?? INLINE_LIMIT)) return ModelSession.fromBytes(graph.toBytes({ inlineExternal: readExternal }), opts);
    // The weight file the initializers come from (read in place, or converted from for fp16).
    const files = new Set(graph.initializers().flatMap((i) => (i.data.kind === 'external' ? [i.data.path] : i.data.kind === 'derived' && i.data.source ? [i.data.source] : [])));
    if (files.size !== 1) throw new Error(`graph "${graph.name}" has ${graph.weightBytes} bytes of weights spread over ${files.size} files; large models need one weight file`);
    const [weightFile] = [...files];
    const modelPath = join(dirname(weightFile!), `.${graph.name}.${process.pid}.${++modelCounter}.onnx`);
    writeModel(graph, modelPath, { referenceInPlace: true });
    try {
      return await ModelSession.fromFile(modelPath, opts);
    } finally {
      rmSync(modelPath, { force: true });
      rmSync(`${modelPath}.data`, { force: true });
    }
  }

  async run(feeds: Record<string, Tensor>, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t, name);
    const result = outputs ? await this.#session.run(ortFeeds, [...outputs]) : await this.#session.run(ortFeeds);
    const out: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(result)) out[name] = fromOrt(t, name);
    return out;
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

function readExternal(init: { name: string; data: { kind: string; path?: string; offset?: number; length?: number } }): Uint8Array {
  const { path, offset, length } = init.data as { path: string; offset: number; length: number };
  return readFileRange(path, offset, length, `initializer "${init.name}"`);
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = { float32: 'float32', int64: 'int64', int32: 'int32', uint8: 'uint8', bool: 'bool' };

function toOrt(t: Tensor, name: string): ort.Tensor {
  try {
    return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.shape]);
  } catch (e) {
    throw new Error(`input "${name}": ${(e as Error).message}`);
  }
}

function fromOrt(t: ort.Tensor, name: string): Tensor {
  switch (t.type) {
    case 'float32':
      return { dtype: 'float32', shape: [...t.dims], data: t.data as Float32Array };
    case 'int64':
      return { dtype: 'int64', shape: [...t.dims], data: t.data as BigInt64Array };
    case 'int32':
      return { dtype: 'int32', shape: [...t.dims], data: t.data as Int32Array };
    case 'uint8':
      return { dtype: 'uint8', shape: [...t.dims], data: t.data as Uint8Array };
    case 'bool':
      return { dtype: 'bool', shape: [...t.dims], data: t.data as Uint8Array };
    default:
      throw new Error(`output "${name}" has unsupported type ${t.type}`);
  }
}
