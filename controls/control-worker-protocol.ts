/** What ThreadedControl (main thread) and control-worker.ts (its worker thread) exchange. */
import type { RgbFrames } from '../src/frames.ts';
import { assertFrameSize } from '../src/frames.ts';
import type { WorkerCall } from '../src/model/runtime/worker-protocol.ts';
import type { DepthSettings } from './depth.ts';
import type { SessionOptions } from '../src/model/runtime/session.ts';
import type { ControlOutput } from './types.ts';

/** Session options that survive a structured clone (no callbacks). */
type Cloneable<T> = Omit<T, 'onFallback'>;

/** Which annotator the worker builds, with everything it needs: the checkpoint path is resolved on the main thread. */
export type ControlSpec =
  | { readonly id: 'depth'; readonly options: Cloneable<DepthSettings> & { readonly weightsPath: string } }
  | { readonly id: 'scribble'; readonly options: Cloneable<SessionOptions> & { readonly weightsPath: string } };

/** One chunk; `resetFirst` carries a reset() made since the previous chunk, in order. */
export interface ControlChunk {
  readonly frames: RgbFrames;
  readonly resetFirst: boolean;
}

export type ControlWorkerProtocol = {
  init: ControlSpec;
  ready: { readonly id: string; readonly needsWeights: boolean };
  calls: {
    process: WorkerCall<ControlChunk, ControlOutput>;
  };
};

// The worker checks what arrives: a message crosses the thread boundary by structured clone, so
// the types above say nothing about what it actually holds.

const WORKER_CONTROLS: readonly string[] = ['depth', 'scribble'];
const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The worker's init as a ControlSpec, or a clear error (the worker's start error, which the client prefixes with the worker's name). */
export function checkControlSpec(spec: unknown): ControlSpec {
  if (!isObject(spec)) throw new Error(`expected a control spec { id, options }, got ${kindOf(spec)}`);
  if (typeof spec.id !== 'string' || !WORKER_CONTROLS.includes(spec.id)) {
    throw new Error(`the control worker runs the ${WORKER_CONTROLS.join(' and ')} annotators only, got id ${JSON.stringify(spec.id)}`);
  }
  if (!isObject(spec.options) || typeof spec.options.weightsPath !== 'string') {
    throw new Error(`options.weightsPath must be the checkpoint path, got ${isObject(spec.options) ? kindOf(spec.options.weightsPath) : `options ${kindOf(spec.options)}`}`);
  }
  return spec as unknown as ControlSpec;
}

/** A process call's argument as a ControlChunk, or a clear error (that call's failure). */
export function checkChunk(arg: unknown): ControlChunk {
  if (!isObject(arg)) throw new Error(`process takes { frames, resetFirst }, got ${kindOf(arg)}`);
  if (typeof arg.resetFirst !== 'boolean') throw new Error(`process: resetFirst must be a boolean, got ${kindOf(arg.resetFirst)}`);
  const f = arg.frames;
  if (!isObject(f) || !(f.data instanceof Uint8Array)) throw new Error('process: frames must be RGB frames { width, height, count, data: Uint8Array }');
  const frames = f as unknown as RgbFrames;
  if (!Number.isInteger(frames.count) || frames.count < 0) throw new Error(`process: invalid frame count ${frames.count}`);
  assertFrameSize(frames);
  return { frames, resetFirst: arg.resetFirst };
}
