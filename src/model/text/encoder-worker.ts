/**
 * Runs tokenizer + UMT5 encoder in a worker thread, off the streaming hot path: encoding a new
 * prompt (seconds for umt5-xxl on CPU) never blocks the event loop that paces chunks. The
 * client queues requests; the worker serves them one at a time. A failed load or encode
 * rejects that promise with the worker's message; a crashed worker rejects everything pending
 * and later calls, and never takes the server down.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { f32, type F32Tensor } from '../tensor.ts';
import type { EncoderWorkerInit, FromWorker, ToWorker } from './encoder-worker-protocol.ts';

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

interface Pending {
  resolve: (r: EncodedPrompt[]) => void;
  reject: (e: Error) => void;
}

/**
 * The worker's entry is TypeScript. Node 20 does not apply `--import` loader hooks to a worker's
 * own entry module, so the worker starts from a tiny script that loads the entry through tsx's
 * `tsImport` (works whether or not the parent itself runs under tsx or vitest).
 */
function spawnWorker(init: EncoderWorkerInit): Worker {
  const tsxCjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxEsm = pathToFileURL(join(dirname(tsxCjs), 'index.mjs')).href;
  const entry = new URL('./encoder-worker-main.ts', import.meta.url).href;
  const boot =
    `import(${JSON.stringify(tsxEsm)}).then((api) => api.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))` +
    `.catch((e) => { require('node:worker_threads').parentPort.postMessage({ type: 'init-error', message: 'cannot load the worker: ' + e.message }); });`;
  return new Worker(boot, { eval: true, workerData: init });
}

export class TextEncoderWorker {
  readonly device: string;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #failure: Error | undefined;
  #closed = false;
  #exited = false;

  private constructor(worker: Worker, device: string) {
    this.#worker = worker;
    this.device = device;
    worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    worker.on('error', (e) => this.#fail(new Error(`text encoder worker failed: ${e.message}`)));
    worker.on('exit', (code) => {
      this.#exited = true;
      if (!this.#closed) this.#fail(new Error(`text encoder worker exited (code ${code})`));
    });
  }

  /** Starts the worker and waits until tokenizer and encoder are loaded. */
  static start(init: EncoderWorkerInit): Promise<TextEncoderWorker> {
    const worker = spawnWorker(init);
    return new Promise((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        if (msg.type === 'ready') {
          cleanup();
          resolve(new TextEncoderWorker(worker, msg.device));
        } else if (msg.type === 'init-error') {
          cleanup();
          void worker.terminate();
          reject(new Error(`text encoder: ${msg.message}`));
        }
      };
      const onError = (e: Error) => {
        cleanup();
        reject(new Error(`text encoder worker failed to start: ${e.message}`));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`text encoder worker exited while starting (code ${code})`));
      };
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  /** Encodes prompts as one batch (queued behind earlier requests). */
  encodeMany(prompts: readonly string[]): Promise<EncodedPrompt[]> {
    if (this.#closed) return Promise.reject(new Error('text encoder: encode after close()'));
    if (this.#failure) return Promise.reject(this.#failure);
    if (prompts.length === 0) return Promise.resolve([]);
    const bad = prompts.findIndex((p) => typeof p !== 'string');
    if (bad >= 0) return Promise.reject(new Error(`text encoder: prompt ${bad} is not a string`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post({ type: 'encode', id, prompts: [...prompts] });
    });
  }

  async encode(prompt: string): Promise<EncodedPrompt> {
    const [r] = await this.encodeMany([prompt]);
    return r!;
  }

  /** Releases the encoder and stops the worker; pending requests are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#exited) {
      this.#rejectAll(new Error('text encoder: closed'));
      return;
    }
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#post({ type: 'close' });
    const timer = setTimeout(() => void this.#worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
    this.#rejectAll(new Error('text encoder: closed'));
  }

  #post(msg: ToWorker): void {
    this.#worker.postMessage(msg);
  }

  #onMessage(msg: FromWorker): void {
    if (msg.type !== 'encoded' && msg.type !== 'encode-error') return;
    const p = this.#pending.get(msg.id);
    if (!p) return;
    this.#pending.delete(msg.id);
    if (msg.type === 'encode-error') p.reject(new Error(`text encoder: ${msg.message}`));
    else p.resolve(msg.results.map((r) => ({ text: r.text, length: r.length, truncatedTokens: r.truncatedTokens, embedding: f32(r.shape, r.data) })));
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    this.#rejectAll(e);
  }

  #rejectAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}
