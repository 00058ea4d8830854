/** What the text-encoder worker (encoder-worker-main.ts) and its client (encoder-worker.ts) exchange. */
import type { SessionOptions } from '../runtime/session.ts';
import type { Umt5WeightFormat } from './param-spec.ts';
import type { WorkerCall } from '../runtime/worker-protocol.ts';

export interface EncoderWorkerInit {
  /** tokenizer.json, or the folder holding it (and tokenizer_config.json). */
  readonly tokenizerPath: string;
  /** UMT5 encoder checkpoint (safetensors or .pth with the T5Encoder keys). */
  readonly weightsPath: string;
  /** Raw UMT5 config (parsed in the worker with parseUmt5Config). */
  readonly config: unknown;
  readonly session?: Pick<SessionOptions, 'device' | 'threads' | 'dtype'>;
  /** Where a model too large for memory (umt5-xxl) is converted to (default: `converted/` beside the weights). */
  readonly cacheDir?: string;
  /** float32 (default) or 8-bit weights (Umt5EncoderOptions.weights). */
  readonly weights?: Umt5WeightFormat;
}

export interface EncodedPromptMessage {
  readonly text: string;
  readonly length: number;
  readonly truncatedTokens: number;
  readonly shape: number[];
  readonly data: Float32Array;
}

export type EncoderWorkerProtocol = {
  init: EncoderWorkerInit;
  ready: { readonly device: string };
  calls: {
    /** One batch of prompts → one embedding each. */
    encode: WorkerCall<string[], EncodedPromptMessage[]>;
  };
};

const kindOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

/**
 * The encode call's argument, checked where it is used: a message crosses the thread boundary
 * by structured clone, so the protocol's types say nothing about what actually arrives.
 */
export function checkPrompts(arg: unknown): string[] {
  if (!Array.isArray(arg)) throw new Error(`encode takes an array of prompt strings, got ${kindOf(arg)}`);
  const bad = arg.findIndex((p) => typeof p !== 'string');
  if (bad >= 0) throw new Error(`prompt ${bad} is not a string (got ${kindOf(arg[bad])})`);
  return arg as string[];
}
