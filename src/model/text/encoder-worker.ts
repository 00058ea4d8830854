/**
 * Runs tokenizer + UMT5 encoder in a worker thread, off the streaming hot path: encoding a new
 * prompt (seconds for umt5-xxl on CPU) never blocks the event loop that paces chunks. Requests
 * are served one at a time, at most MAX_PENDING_ENCODES waiting; a failed load or encode rejects
 * that promise with the worker's message; a crashed worker rejects everything pending and later
 * calls, and never takes the server down (runtime/worker-client.ts).
 */
import { WorkerClient } from '../runtime/worker-client.ts';
import { f32, type F32Tensor } from '../tensor.ts';
import { checkPrompts, type EncoderWorkerInit, type EncoderWorkerProtocol } from './encoder-worker-protocol.ts';

export type { EncoderWorkerInit } from './encoder-worker-protocol.ts';

export interface EncodedPrompt {
  /** The cleaned text that was tokenised (use it as the prompt-cache key). */
  readonly text: string;
  /** Real tokens including </s>. */
  readonly length: number;
  readonly truncatedTokens: number;
  /** [text_len, dim], rows ≥ length zeroed (what the DiT takes). */
  readonly embedding: F32Tensor;
}

/** Encode batches that may wait at once: every live session's prompt changes share one worker. */
const MAX_PENDING_ENCODES = 64;

export class TextEncoderWorker {
  readonly #client: WorkerClient<EncoderWorkerProtocol>;

  private constructor(client: WorkerClient<EncoderWorkerProtocol>) {
    this.#client = client;
  }

  /** Starts the worker and waits until tokenizer and encoder are loaded. */
  static async start(init: EncoderWorkerInit): Promise<TextEncoderWorker> {
    const client = await WorkerClient.start<EncoderWorkerProtocol>({
      entry: new URL('./encoder-worker-main.ts', import.meta.url),
      init,
      name: 'text encoder',
      maxPending: MAX_PENDING_ENCODES,
    });
    return new TextEncoderWorker(client);
  }

  /** The device the encoder runs on (after any CPU fallback). */
  get device(): string {
    return this.#client.ready.device;
  }

  /** Encodes prompts as one batch (queued behind earlier requests). */
  async encodeMany(prompts: readonly string[]): Promise<EncodedPrompt[]> {
    try {
      checkPrompts(prompts); // here too, so a bad prompt never costs a round trip to the worker
    } catch (e) {
      throw new Error(`text encoder: ${(e as Error).message}`);
    }
    if (prompts.length === 0) return [];
    const results = await this.#client.call('encode', [...prompts]);
    return results.map((r) => ({ text: r.text, length: r.length, truncatedTokens: r.truncatedTokens, embedding: f32(r.shape, r.data) }));
  }

  async encode(prompt: string): Promise<EncodedPrompt> {
    const [r] = await this.encodeMany([prompt]);
    return r!;
  }

  /** Releases the encoder and stops the worker; requests sent before it are answered first. */
  close(): Promise<void> {
    return this.#client.close();
  }
}
