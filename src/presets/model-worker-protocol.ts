/**
 * What the model worker (model-worker-main.ts) and the main thread (model-worker.ts) exchange.
 * Frames travel as plain structured-clone data. Images (references, extension anchors) travel
 * as `ImageRef`s: an id that stays the same while the main thread passes the same image object,
 * with the pixels only the first time, so the worker can hand its generator the same object
 * across chunks ("unchanged": the reference-hint cache keys on identity).
 */
import type { RgbFrames } from '../frames.ts';
import type { Device, ModelDtype } from '../model/runtime/session.ts';
import type { Umt5WeightFormat } from '../model/text/param-spec.ts';
import type { WorkerCall } from '../model/runtime/worker-protocol.ts';
import type { ChunkInput } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import type { ModelBundle } from './bundle.ts';

export interface ModelWorkerInit {
  readonly preset: string;
  readonly modelsDir: string;
  readonly device: Device;
  readonly dtype?: ModelDtype;
  readonly threads?: number;
  readonly textWeights?: Umt5WeightFormat;
}

/** The loaded bundle's facts (everything but its methods), sent once the worker is ready. */
export type ModelWorkerReady = Pick<ModelBundle, 'preset' | 'description' | 'randomWeights' | 'devices' | 'width' | 'height' | 'device' | 'dtype'> & {
  /** Pixel frames per chunk of a fresh generator. */
  readonly framesPerChunk: number;
};

/** An image by id; `image` is present the first time the worker's generator sees the id. */
export interface ImageRef {
  readonly id: number;
  readonly image?: RgbImage;
}

/** A ChunkInput with its images as ImageRefs, for the main thread's generator `generator`. */
export type GenerateRequest = Omit<ChunkInput, 'references' | 'firstFrame' | 'lastFrame'> & {
  /** The main thread's generator id (the worker creates the generator on first use). */
  readonly generator: number;
  readonly references?: readonly ImageRef[];
  readonly firstFrame?: ImageRef;
  readonly lastFrame?: ImageRef;
};

export interface GenerateResult {
  readonly frames: RgbFrames;
  /** What the generator wants for its next chunk. */
  readonly framesForNextChunk: number;
}

export type ModelWorkerProtocol = {
  readonly init: ModelWorkerInit;
  readonly ready: ModelWorkerReady;
  readonly calls: {
    readonly generate: WorkerCall<GenerateRequest, GenerateResult>;
    readonly reset: WorkerCall<number, void>;
    readonly dispose: WorkerCall<number, void>;
    readonly warmUp: WorkerCall<null, void>;
  };
};
