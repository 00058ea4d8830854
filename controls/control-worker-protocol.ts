/** What ThreadedControl (main thread) and control-worker.ts (its worker thread) exchange. */
import type { RgbFrames } from '../src/frames.ts';
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

export type ControlWorkerProtocol = {
  init: ControlSpec;
  ready: { readonly id: string; readonly needsWeights: boolean };
  calls: {
    /** One chunk; `resetFirst` carries a reset() made since the previous chunk, in order. */
    process: WorkerCall<{ readonly frames: RgbFrames; readonly resetFirst: boolean }, ControlOutput>;
  };
};
