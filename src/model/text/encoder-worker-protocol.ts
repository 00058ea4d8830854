/** Messages between the text-encoder worker and its client (encoder-worker.ts). */
import type { SessionOptions } from '../runtime/session.ts';

export interface EncoderWorkerInit {
  /** tokenizer.json, or the folder holding it (and tokenizer_config.json). */
  readonly tokenizerPath: string;
  /** UMT5 encoder checkpoint (safetensors or .pth with the T5Encoder keys). */
  readonly weightsPath: string;
  /** Raw UMT5 config (parsed in the worker with parseUmt5Config). */
  readonly config: unknown;
  readonly session?: Pick<SessionOptions, 'device' | 'threads'>;
  /** Where a model too large for memory (umt5-xxl) is converted to (default: `converted/` beside the weights). */
  readonly cacheDir?: string;
}

export type ToWorker = { type: 'encode'; id: number; prompts: string[] } | { type: 'close' };

export interface EncodedPromptMessage {
  readonly text: string;
  readonly length: number;
  readonly truncatedTokens: number;
  readonly shape: number[];
  readonly data: Float32Array;
}

export type FromWorker =
  | { type: 'ready'; device: string }
  | { type: 'init-error'; message: string }
  | { type: 'encoded'; id: number; results: EncodedPromptMessage[] }
  | { type: 'encode-error'; id: number; message: string };
