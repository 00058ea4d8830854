/**
 * A control that runs on its own worker thread (WorkerClient), so an annotator (depth,
 * scribble) computes chunk n+1's control frames while the generator works on chunk n. Same
 * Control interface: process() resolves when the worker answers; calls are answered in order,
 * at most MAX_PENDING_CHUNKS at once. The frames are copied once into the message (the caller
 * keeps its buffer); results come back transferred.
 */
import type { RgbFrames } from '../src/frames.ts';
import { assertFrameSize } from '../src/frames.ts';
import { WorkerClient } from '../src/model/runtime/worker-client.ts';
import type { AnnotatorWeights } from './annotator-weights.ts';
import type { ControlSpec, ControlWorkerProtocol } from './control-worker-protocol.ts';
import { parseControlOptions, type DepthOptions } from './registry.ts';
import type { Control, ControlOutput } from './types.ts';

export type { ControlSpec } from './control-worker-protocol.ts';

/** Chunks waiting for the worker at once: one being computed, one sent ahead. */
const MAX_PENDING_CHUNKS = 2;

/**
 * The worker spec of a registry annotator: its options validated (zod) and its checkpoint found
 * on this thread, so bad options or missing weights fail at once, before any worker starts.
 */
export function annotatorWorkerSpec(id: string, weights: AnnotatorWeights, options?: unknown): ControlSpec {
  const parsed = parseControlOptions(id, options);
  if (id === 'depth') return { id, options: { ...(parsed as DepthOptions), weightsPath: weights.path('depth') } };
  if (id === 'scribble') return { id, options: { weightsPath: weights.path('scribble') } };
  throw new Error(`control '${id}' needs no weights and does not run on a worker thread`);
}

export class ThreadedControl implements Control {
  readonly id: string;
  readonly needsWeights: boolean;
  readonly #client: WorkerClient<ControlWorkerProtocol>;
  #resetFirst = false;

  private constructor(client: WorkerClient<ControlWorkerProtocol>) {
    this.#client = client;
    this.id = client.ready.id;
    this.needsWeights = client.ready.needsWeights;
  }

  /** Starts the worker and builds the control there; rejects with the control's own error (e.g. missing weights). */
  static async start(spec: ControlSpec): Promise<ThreadedControl> {
    const client = await WorkerClient.start<ControlWorkerProtocol>({
      entry: new URL('./control-worker.ts', import.meta.url),
      init: spec,
      name: `${spec.id} control worker`,
      maxPending: MAX_PENDING_CHUNKS,
    });
    return new ThreadedControl(client);
  }

  process(frames: RgbFrames): Promise<ControlOutput> {
    assertFrameSize(frames);
    const data = frames.data.slice();
    const chunk = { frames: { width: frames.width, height: frames.height, count: frames.count, data }, resetFirst: this.#resetFirst };
    const before = this.#client.pending;
    const sent = this.#client.call('process', chunk, [data.buffer]);
    // A call is either sent at once (and counted as pending) or rejected without reaching the
    // worker. A reset rides on the first chunk that reaches it, so it is never lost or reordered.
    if (this.#client.pending > before) this.#resetFirst = false;
    return sent;
  }

  reset(): void {
    this.#resetFirst = true;
  }

  /** Stops the worker after the chunks already sent; frees its ORT sessions. */
  dispose(): Promise<void> {
    return this.#client.close();
  }
}

/**
 * A ThreadedControl behind the synchronous `create()` of a control source: the worker starts at
 * once, and the first process() waits for it. Used for the annotators (depth, scribble), whose
 * ORT runs would otherwise block the thread that drives the generator.
 */
export class DeferredThreadedControl implements Control {
  readonly id: string;
  readonly needsWeights = true;
  readonly #started: Promise<ThreadedControl>;

  constructor(spec: ControlSpec) {
    this.id = spec.id;
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
