/**
 * What the model worker (model-worker-main.ts) and the main thread (model-worker.ts) exchange.
 * Frames travel as plain structured-clone data. Images (references, extension anchors) travel
 * as `ImageRef`s: an id that stays the same while the main thread passes the same image object,
 * with the pixels only the first time, so the worker can hand its generator the same object
 * across chunks ("unchanged": the reference-hint cache keys on identity).
 */
import type { MaskFrames, RgbFrames } from '../frames.ts';
import type { Device, ModelDtype } from '../model/runtime/session.ts';
import type { Umt5WeightFormat } from '../model/text/param-spec.ts';
import type { WorkerCall } from '../model/runtime/worker-protocol.ts';
import type { GenerationParams } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import type { ModelDevices } from './bundle.ts';

export interface ModelWorkerInit {
  readonly preset: string;
  readonly modelsDir: string;
  readonly device: Device;
  readonly dtype?: ModelDtype;
  readonly threads?: number;
  readonly textWeights?: Umt5WeightFormat;
}

/** The loaded bundle's facts, sent once the worker is ready. */
export interface ModelWorkerReady {
  readonly preset: string;
  readonly description: string;
  readonly randomWeights: boolean;
  readonly devices: ModelDevices;
  readonly width: number;
  readonly height: number;
  readonly device: Device;
  readonly dtype: ModelDtype;
  /** Pixel frames per chunk of a fresh generator. */
  readonly framesPerChunk: number;
}

/** An image by id; `image` is present the first time the worker's generator sees the id. */
export interface ImageRef {
  readonly id: number;
  readonly image?: RgbImage;
}

export interface GenerateRequest {
  /** The main thread's generator id (the worker creates the generator on first use). */
  readonly generator: number;
  readonly frames: RgbFrames;
  readonly control?: { readonly frames: RgbFrames; readonly mask?: MaskFrames };
  readonly params: GenerationParams;
  readonly references?: readonly ImageRef[];
  readonly firstFrame?: ImageRef;
  readonly lastFrame?: ImageRef;
}

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
