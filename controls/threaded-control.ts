/**
 * A control that runs on its own worker thread, so an annotator (depth, scribble) computes
 * chunk n+1's control frames while the generator works on chunk n. Same Control interface:
 * process() resolves when the worker answers; calls are answered in order. The frames are
 * copied once into the message (the caller keeps its buffer); results come back transferred.
 */
import { Worker } from 'node:worker_threads';
import type { RgbFrames } from '../src/frames.ts';
import { assertFrameSize } from '../src/frames.ts';
import type { ControlSpec, ToParent, ToWorker } from './threaded-control-types.ts';
import type { Control, ControlOutput } from './types.ts';

interface Pending {
  resolve: (v: ControlOutput) => void;
  reject: (e: Error) => void;
}

export class ThreadedControl implements Control {
  readonly id: string;
  readonly needsWeights: boolean;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #seq = 0;
  #closed = false;
  #disposeAck: (() => void) | undefined;
  #disposed: Promise<void> | undefined;

  private constructor(worker: Worker, id: string, needsWeights: boolean) {
    this.#worker = worker;
    this.id = id;
    this.needsWeights = needsWeights;
    worker.on('message', (m: ToParent) => this.#onMessage(m));
    worker.on('error', (e) => this.#failAll(e));
    worker.on('exit', (code) => this.#failAll(new Error(`control worker for '${id}' exited (code ${code})`)));
  }

  /** Starts the worker and builds the control there; rejects with the control's own error (e.g. missing weights). */
  static start(spec: ControlSpec): Promise<ThreadedControl> {
    const worker = new Worker(new URL('./control-worker-boot.mjs', import.meta.url), {
      workerData: { entry: new URL('./control-worker.ts', import.meta.url).href, spec },
    });
    return new Promise((resolve, reject) => {
      const onError = (e: Error) => reject(new Error(`control worker for '${spec.id}' failed to start: ${e.message}`));
      worker.once('error', onError);
      worker.once('message', (m: ToParent) => {
        worker.off('error', onError);
        if (m.op === 'ready') resolve(new ThreadedControl(worker, m.id, m.needsWeights));
        else {
          void worker.terminate();
          reject(new Error(m.op === 'init-error' ? m.message : `control worker for '${spec.id}': unexpected first message '${m.op}'`));
        }
      });
    });
  }

  #onMessage(m: ToParent): void {
    if (m.op === 'disposed') {
      this.#disposeAck?.();
      return;
    }
    if (m.op === 'result' || m.op === 'error') {
      const p = this.#pending.get(m.seq);
      if (!p) return;
      this.#pending.delete(m.seq);
      if (m.op === 'result') p.resolve(m.mask ? { frames: m.frames, mask: m.mask } : { frames: m.frames });
      else p.reject(new Error(m.message));
    }
  }

  #failAll(e: Error): void {
    this.#closed = true;
    this.#disposeAck?.();
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  #post(m: ToWorker, transfer: ArrayBuffer[] = []): void {
    this.#worker.postMessage(m, transfer);
  }

  process(frames: RgbFrames): Promise<ControlOutput> {
    if (this.#closed) return Promise.reject(new Error(`control '${this.id}' is disposed`));
    assertFrameSize(frames);
    const seq = ++this.#seq;
    const copy = frames.data.slice();
    return new Promise<ControlOutput>((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      this.#post({ op: 'process', seq, frames: { width: frames.width, height: frames.height, count: frames.count, data: copy } }, [copy.buffer]);
    });
  }

  reset(): void {
    if (!this.#closed) this.#post({ op: 'reset' });
  }

  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      if (!this.#closed) {
        // The worker answers after the calls already queued, then frees its sessions.
        const done = new Promise<void>((resolve) => (this.#disposeAck = resolve));
        this.#post({ op: 'dispose', seq: ++this.#seq });
        await done;
      }
      this.#closed = true;
      await this.#worker.terminate();
    })();
    return this.#disposed;
  }
}

/**
 * A ThreadedControl behind the synchronous `create()` of a control source: the worker starts at
 * once, and the first process() waits for it. Used for the annotators (depth, scribble), whose
 * ORT runs would otherwise block the thread that drives the generator.
 */
export class DeferredThreadedControl implements Control {
  readonly id: string;
  readonly needsWeights: boolean;
  readonly #started: Promise<ThreadedControl>;

  constructor(spec: ControlSpec, needsWeights: boolean) {
    this.id = spec.id;
    this.needsWeights = needsWeights;
    this.#started = ThreadedControl.start(spec);
    this.#started.catch(() => undefined); // surfaced by process()
  }

  async process(frames: RgbFrames): Promise<ControlOutput> {
    return (await this.#started).process(frames);
  }

  reset(): void {
    void this.#started.then((c) => c.reset(), () => undefined);
  }

  async dispose(): Promise<void> {
    const c = await this.#started.catch(() => undefined);
    await c?.dispose();
  }
}
