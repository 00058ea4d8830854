/** The contract between ThreadedControl (main thread) and control-worker.ts (worker thread). */
import type { MaskFrames, RgbFrames } from '../src/frames.ts';
import type { DepthControlOptions } from './depth.ts';
import type { ScribbleControlOptions } from './scribble.ts';

/** What the worker builds: the annotators with their full (serialisable) options, or any registry control. */
export type ControlSpec =
  | { readonly id: 'depth'; readonly options?: Omit<DepthControlOptions, 'weights' | 'onFallback'> }
  | { readonly id: 'scribble'; readonly options?: Omit<ScribbleControlOptions, 'weights' | 'onFallback'> }
  | { readonly id: string; readonly options?: unknown };

export type ToWorker =
  | { readonly op: 'process'; readonly seq: number; readonly frames: RgbFrames }
  | { readonly op: 'reset' }
  | { readonly op: 'dispose'; readonly seq: number };

export type ToParent =
  | { readonly op: 'ready'; readonly id: string; readonly needsWeights: boolean }
  | { readonly op: 'init-error'; readonly message: string }
  | { readonly op: 'result'; readonly seq: number; readonly frames: RgbFrames; readonly mask?: MaskFrames }
  | { readonly op: 'error'; readonly seq: number; readonly message: string }
  | { readonly op: 'disposed'; readonly seq: number };
