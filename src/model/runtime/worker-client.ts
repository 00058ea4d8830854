/**
 * The main-thread side of a worker thread that answers calls (worker-service.ts): the text
 * encoder and the annotator controls run their ONNX sessions there, because onnxruntime-node
 * runs a session synchronously on the calling thread and would stall the event loop.
 *
 * - start() resolves once the worker reports ready and rejects with its start error (or its
 *   crash) otherwise.
 * - call() sends one request under a fresh id and resolves with its answer. At most maxPending
 *   calls wait at once; one more is rejected with a clear error instead of queueing without
 *   limit.
 * - A worker that crashes or exits rejects every pending call, and every later one, with an
 *   error naming it; nothing is thrown on the caller's thread.
 * - close() lets the worker answer what was sent before it and free its resources, and
 *   terminates it when it has not done so within closeTimeoutMs.
 */
import { Worker } from 'node:worker_threads';
import type { BootData, CallArg, CallName, CallResult, ServiceMessage, WorkerProtocol } from './worker-protocol.ts';

export interface WorkerClientOptions<P extends WorkerProtocol> {
  /** The worker's module (a .ts one under tsx or vitest, or compiled .js); it calls serveWorker(). */
  readonly entry: URL;
  readonly init: P['init'];
  /** Names the worker in every error: 'text encoder', "control 'depth'". */
  readonly name: string;
  /** Calls that may wait for an answer at once (default 16). */
  readonly maxPending?: number;
  /** How long close() waits for the worker to free its resources and stop (default 5000 ms). */
  readonly closeTimeoutMs?: number;
  /** Lines the worker logs (serveWorker's `log`), while starting and after; dropped when absent. */
  readonly onLog?: (line: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
}

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

export class WorkerClient<P extends WorkerProtocol> {
  readonly name: string;
  /** What the worker reported when it started. */
  readonly ready: P['ready'];
  readonly #worker: Worker;
  readonly #maxPending: number;
  readonly #closeTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #onLog: ((line: string) => void) | undefined;
  readonly #exit: Promise<void>;
  #nextId = 1;
  #exited = false;
  #failure: Error | undefined;
  #closing: Promise<void> | undefined;

  private constructor(worker: Worker, opts: WorkerClientOptions<P>, ready: P['ready']) {
    this.#worker = worker;
    this.name = opts.name;
    this.ready = ready;
    this.#maxPending = opts.maxPending ?? 16;
    this.#closeTimeoutMs = opts.closeTimeoutMs ?? 5000;
    this.#onLog = opts.onLog;
    worker.on('message', (m: ServiceMessage) => this.#onMessage(m));
    worker.on('error', (e) => this.#fail(new Error(`${this.name} worker crashed: ${e.message}`)));
    this.#exit = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.#exited = true;
        if (!this.#closing) this.#fail(new Error(`${this.name} worker exited unexpectedly (code ${code})`));
        resolve();
      }),
    );
  }

  static start<P extends WorkerProtocol>(opts: WorkerClientOptions<P>): Promise<WorkerClient<P>> {
    for (const [key, v] of [['maxPending', opts.maxPending], ['closeTimeoutMs', opts.closeTimeoutMs]] as const) {
      if (v !== undefined && !(Number.isInteger(v) && v > 0)) return Promise.reject(new Error(`${opts.name}: ${key} must be a positive integer, got ${v}`));
    }
    const workerData: BootData = { entry: opts.entry.href, init: opts.init };
    const worker = new Worker(BOOT, { workerData });
    return new Promise((resolve, reject) => {
      const stop = (e: Error) => {
        cleanup();
        void worker.terminate();
        reject(e);
      };
      const onMessage = (m: ServiceMessage) => {
        if (m.kind === 'log') opts.onLog?.(m.line);
        else if (m.kind === 'ready') {
          cleanup();
          resolve(new WorkerClient(worker, opts, m.info as P['ready']));
        } else if (m.kind === 'start-error') stop(new Error(`${opts.name}: ${m.message}`));
        else stop(new Error(`${opts.name} worker sent '${m.kind}' before it was ready`));
      };
      const onError = (e: Error) => stop(new Error(`${opts.name} worker failed to start: ${e.message}`));
      const onExit = (code: number) => stop(new Error(`${opts.name} worker exited while starting (code ${code})`));
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

  /** Why the worker stopped serving (a crash or an unexpected exit); undefined while it serves. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /** Calls waiting for an answer now. */
  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Sends one call; `transfer` lists buffers of `arg` to move to the worker instead of copying.
   * A call is either sent at once (and counted in `pending` until answered) or rejected without
   * reaching the worker: after close(), after a crash, beyond maxPending, or not cloneable.
   */
  call<K extends CallName<P>>(name: K, arg: CallArg<P, K>, transfer: readonly ArrayBuffer[] = []): Promise<CallResult<P, K>> {
    if (this.#closing) return Promise.reject(new Error(`${this.name}: call '${name}' after close()`));
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#pending.size >= this.#maxPending) {
      return Promise.reject(new Error(`${this.name}: ${this.#maxPending} calls are already waiting for the worker; wait for one to finish before sending '${name}'`));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        this.#worker.postMessage({ kind: 'call', id, name, arg }, transfer);
      } catch (e) {
        // e.g. an argument that cannot be cloned: this call fails, the worker is fine.
        this.#pending.delete(id);
        reject(new Error(`${this.name}: cannot send '${name}': ${(e as Error).message}`));
      }
    });
  }

  /** Stops the worker; calls still waiting when it is gone are rejected. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    if (!this.#exited) {
      this.#worker.postMessage({ kind: 'close' });
      // A worker busy in a long call (or stuck) never acknowledges: stop it anyway.
      const timer = setTimeout(() => void this.#worker.terminate(), this.#closeTimeoutMs);
      await this.#exit;
      clearTimeout(timer);
    }
    this.#rejectAll(new Error(`${this.name}: closed before the worker answered`));
  }

  #onMessage(m: ServiceMessage): void {
    if (m.kind === 'log') {
      this.#onLog?.(m.line);
      return;
    }
    if (m.kind === 'closed') {
      // Everything is freed: end the thread now rather than waiting for its event loop to drain.
      void this.#worker.terminate();
      return;
    }
    if (m.kind !== 'result' && m.kind !== 'failure') return;
    const p = this.#pending.get(m.id);
    if (!p) return;
    this.#pending.delete(m.id);
    if (m.kind === 'result') p.resolve(m.value);
    else p.reject(new Error(`${this.name}: ${m.message}`));
  }

  #fail(e: Error): void {
    this.#failure ??= e;
    this.#rejectAll(this.#failure);
  }

  #rejectAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}
