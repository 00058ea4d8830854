/**
 * A preset's bundle loaded and run on a worker thread (model-worker-main.ts), seen from the main
 * thread as an ordinary ModelBundle: `createGenerator()` gives a ChunkGenerator whose calls go to
 * the worker, so the event loop that serves WebRTC and HTTP never waits on a model run.
 *
 * A worker that crashes (or exits) fails the calls in flight with an error naming it; the
 * sessions fall back to preview with that message (stream/fallback-policy.ts). The next call
 * starts a fresh worker with the same options (at most MAX_RESTARTS within RESTART_WINDOW_MS, so
 * a worker that dies on start is not restarted forever); generators then begin a new stream.
 */
import type { MaskFrames, RgbFrames } from '../frames.ts';
import { WorkerClient } from '../model/runtime/worker-client.ts';
import type { ChunkGenerator, ChunkInput } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import type { ModelBundle } from './bundle.ts';
import { PresetLoadError, type PresetLoadOptions } from './load.ts';
import type { GenerateRequest, ImageRef, ModelWorkerInit, ModelWorkerProtocol, ModelWorkerReady } from './model-worker-protocol.ts';

const ENTRY = new URL('./model-worker-main.ts', import.meta.url);
/** Calls that may wait at once: one generate per session plus its resets/disposes. */
const MAX_PENDING = 256;
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;
const NAME = 'model worker';

/** Gives every distinct image object a stable id (the worker maps ids back to one object each). */
class ImageIds {
  readonly #ids = new WeakMap<object, number>();
  #next = 1;
  /** Ids the worker holds for this generator (those of the last chunk sent). */
  #sent = new Set<number>();

  /** The refs of one chunk: pixels only for images the worker does not hold. */
  refs(images: readonly (RgbImage | undefined)[]): (ImageRef | undefined)[] {
    const now = new Set<number>();
    const out = images.map((img) => {
      if (!img) return undefined;
      let id = this.#ids.get(img);
      if (id === undefined) this.#ids.set(img, (id = this.#next++));
      const ref: ImageRef = this.#sent.has(id) || now.has(id) ? { id } : { id, image: img };
      now.add(id);
      return ref;
    });
    this.#sent = now;
    return out;
  }

  /** After a failed call or a worker restart the worker holds nothing of ours. */
  forget(): void {
    this.#sent = new Set();
  }
}

/** A typed array the structured clone copies alone: a view into a larger buffer would take all of it along. */
function own<T extends Uint8Array | Float32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}

function plainFrames(f: RgbFrames): RgbFrames {
  return { width: f.width, height: f.height, count: f.count, data: own(f.data) };
}

function plainMask(m: MaskFrames | undefined): MaskFrames | undefined {
  return m && { width: m.width, height: m.height, count: m.count, data: own(m.data) };
}

class WorkerChunkGenerator implements ChunkGenerator {
  readonly id: string;
  readonly #owner: WorkerModelBundle;
  readonly #key: number;
  readonly #images = new ImageIds();
  #frames: number;
  #disposed = false;
  /** The worker generation this generator's state lives in (a restart starts it afresh). */
  #epoch: number;

  constructor(owner: WorkerModelBundle, key: number, info: ModelWorkerReady, epoch: number) {
    this.#owner = owner;
    this.#key = key;
    this.id = info.preset;
    this.#frames = info.framesPerChunk;
    this.#epoch = epoch;
  }

  outputSize(): { width: number; height: number } {
    return { width: this.#owner.width, height: this.#owner.height };
  }

  framesForNextChunk(): number {
    return this.#frames;
  }

  async generate(input: ChunkInput): Promise<RgbFrames> {
    if (this.#disposed) throw new Error(`${this.id}: generate() after dispose()`);
    const { client, epoch } = await this.#owner.client();
    if (epoch !== this.#epoch) {
      // The worker was restarted: it has none of this generator's images or stream state.
      this.#images.forget();
      this.#epoch = epoch;
    }
    const refs = input.references ?? [];
    const resolved = this.#images.refs([...refs, input.firstFrame, input.lastFrame]);
    const req: GenerateRequest = {
      generator: this.#key,
      frames: plainFrames(input.frames),
      control: input.control && { frames: plainFrames(input.control.frames), mask: plainMask(input.control.mask) },
      params: input.params,
      references: refs.length ? (resolved.slice(0, refs.length) as ImageRef[]) : undefined,
      firstFrame: resolved[refs.length],
      lastFrame: resolved[refs.length + 1],
    };
    try {
      const r = await client.call('generate', req);
      this.#frames = r.framesForNextChunk;
      return r.frames;
    } catch (e) {
      // The worker may not have stored this chunk's images: send pixels again next time.
      this.#images.forget();
      throw e;
    }
  }

  reset(): void {
    this.#images.forget();
    void this.#owner.send('reset', this.#key);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#owner.send('dispose', this.#key);
  }
}

class WorkerModelBundle implements ModelBundle {
  readonly preset: string;
  readonly description: string;
  readonly randomWeights: boolean;
  readonly devices: ModelBundle['devices'];
  readonly width: number;
  readonly height: number;
  readonly device: ModelBundle['device'];
  readonly dtype: ModelBundle['dtype'];
  readonly #init: ModelWorkerInit;
  readonly #log: (line: string) => void;
  readonly #info: ModelWorkerReady;
  #client: Promise<WorkerClient<ModelWorkerProtocol>>;
  #epoch = 0;
  #restarts: number[] = [];
  #nextGenerator = 1;
  #released: Promise<void> | undefined;

  constructor(client: WorkerClient<ModelWorkerProtocol>, init: ModelWorkerInit, log: (line: string) => void) {
    const info = client.ready;
    this.#info = info;
    this.#init = init;
    this.#log = log;
    this.#client = Promise.resolve(client);
    this.preset = info.preset;
    this.description = info.description;
    this.randomWeights = info.randomWeights;
    this.devices = info.devices;
    this.width = info.width;
    this.height = info.height;
    this.device = info.device;
    this.dtype = info.dtype;
  }

  /** The serving worker, restarted first when the last one crashed. */
  async client(): Promise<{ client: WorkerClient<ModelWorkerProtocol>; epoch: number }> {
    if (this.#released) throw new Error(`preset ${this.preset} was released`);
    const current = await this.#client;
    if (!current.failure) return { client: current, epoch: this.#epoch };
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.#restarts.length >= MAX_RESTARTS) {
      throw new Error(`${NAME} failed ${MAX_RESTARTS} times within ${RESTART_WINDOW_MS / 1000} s and is not restarted again (last: ${current.failure.message})`);
    }
    this.#restarts.push(now);
    this.#log(`${current.failure.message}; restarting it`);
    this.#epoch++;
    // Concurrent callers share one restart.
    this.#client = startClient(this.#init, this.#log);
    return { client: await this.#client, epoch: this.#epoch };
  }

  /** A call whose answer nobody waits for (reset, dispose): its failure is logged, never thrown. */
  async send(name: 'reset' | 'dispose', key: number): Promise<void> {
    if (this.#released) return;
    try {
      const current = await this.#client;
      if (current.failure) return; // a dead worker holds no state to reset or free
      await current.call(name, key);
    } catch (e) {
      this.#log(`${NAME}: ${name} failed: ${(e as Error).message}`);
    }
  }

  createGenerator(): ChunkGenerator {
    if (this.#released) throw new Error(`preset ${this.preset} was released`);
    return new WorkerChunkGenerator(this, this.#nextGenerator++, this.#info, this.#epoch);
  }

  async warmUp(): Promise<void> {
    const { client } = await this.client();
    await client.call('warmUp', null);
  }

  release(): Promise<void> {
    this.#released ??= this.#client.then(
      (c) => c.close(),
      () => {},
    );
    return this.#released;
  }
}

function startClient(init: ModelWorkerInit, log: (line: string) => void): Promise<WorkerClient<ModelWorkerProtocol>> {
  // Model loads of the real presets take minutes; a slow close only waits for the call in flight.
  return WorkerClient.start<ModelWorkerProtocol>({ entry: ENTRY, init, name: NAME, maxPending: MAX_PENDING, closeTimeoutMs: 30_000, onLog: log });
}

/** loadPreset (presets/load.ts) on a worker thread; errors are PresetLoadErrors as there. */
export async function loadPresetInWorker(o: PresetLoadOptions): Promise<ModelBundle> {
  const init: ModelWorkerInit = { preset: o.preset, modelsDir: o.modelsDir, device: o.device, dtype: o.dtype, threads: o.threads, textWeights: o.textWeights };
  let client: WorkerClient<ModelWorkerProtocol>;
  try {
    client = await startClient(init, o.log);
  } catch (e) {
    // The worker's start error is loadPreset's PresetLoadError message, prefixed with the worker's name.
    throw new PresetLoadError((e as Error).message.replace(`${NAME}: `, ''));
  }
  return new WorkerModelBundle(client, init, o.log);
}
