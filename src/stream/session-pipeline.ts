/**
 * One live session's video pipeline: frames → bounded queue → chunker → control → generator
 * (or, in preview mode, the control's output itself) → pacer → output.
 *
 * rxjs only at the edges (`output$`, `events$`); the stages are the pure classes next to this
 * file. Parameters are validated when they arrive (an invalid update changes nothing and gets an
 * error back) and applied at the next chunk boundary, so a chunk never mixes two settings.
 */
import { Subject, type Observable } from 'rxjs';
import type { RgbFrames } from '../frames.ts';
import type { ChunkGenerator, GenerationParams } from '../pipeline/generator-types.ts';
import type { Control, ControlOutput } from '../../controls/types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import { BoundedQueue } from './frame-queue.ts';
import { packChunk, unpackChunk } from './chunker.ts';
import { Pacer, RateCounter } from './pacer.ts';
import { buildMask, dimOutsideMask } from './mask.ts';
import { resizeCover } from './resize.ts';
import { DEFAULT_PARAMS, parseParamsPatch, type SessionParams, type SessionParamsPatch } from './params.ts';
import { NoModelLoadedError, type GeneratorRegistry } from './generators.ts';
import type { TimedFrame } from './types.ts';

export interface ControlSource {
  list(): readonly { readonly id: string }[];
  create(id: string): Control;
}

export interface SessionPipelineOptions {
  readonly controls: ControlSource;
  readonly generators: GeneratorRegistry;
  readonly initialParams?: SessionParamsPatch;
  /** Frames the input queue holds at most (default 24: two model chunks). */
  readonly queueCapacity?: number;
  /** Size of the frames the session will push, told to a generator made before the first frame. */
  readonly frameSize?: { readonly width: number; readonly height: number };
  /** Chunk size in preview mode (default 1: camera rate). */
  readonly previewChunkFrames?: number;
  readonly now?: () => number;
}

export type SessionEvent =
  | { readonly type: 'applied'; readonly chunk: number; readonly params: SessionParams }
  | { readonly type: 'chunk'; readonly chunk: number; readonly frames: number; readonly ms: number; readonly mode: SessionParams['mode'] }
  | { readonly type: 'error'; readonly message: string };

export type UpdateResult =
  | { readonly ok: true; readonly acceptedAtChunk: number; readonly params: SessionParams }
  | { readonly ok: false; readonly error: string };

export interface PipelineStats {
  readonly mode: SessionParams['mode'];
  readonly control: string;
  readonly generator: string | null;
  readonly chunks: number;
  readonly inputFps: number;
  readonly outputFps: number;
  readonly chunkMs: number | null;
  readonly chunkIntervalMs: number | null;
  readonly latencyMs: number | null;
  readonly queued: number;
  readonly droppedFrames: number;
  readonly inputFrames: number;
  readonly outputFrames: number;
}

/** A chunk whose frames are taken and whose control ran, ready for the generator (or to show). */
interface Prepared {
  readonly batch: TimedFrame[];
  readonly chunk: RgbFrames;
  readonly control: ControlOutput;
  readonly mask: ReturnType<typeof buildMask> | ControlOutput['mask'];
  /** The parameters in force when the control ran: a change at the boundary redoes it. */
  readonly params: SessionParams;
  readonly controlId: string;
  readonly started: number;
}

interface PendingChange {
  patch: SessionParamsPatch;
  control?: Control;
  generator?: ChunkGenerator;
}

export class SessionPipeline {
  readonly #opts: SessionPipelineOptions;
  readonly #now: () => number;
  readonly #queue: BoundedQueue<TimedFrame>;
  readonly #pacer = new Pacer();
  readonly #output = new Subject<TimedFrame>();
  readonly #events = new Subject<SessionEvent>();
  readonly #inRate = new RateCounter();
  readonly #outRate = new RateCounter();
  #params: SessionParams;
  #control: Control;
  #generator?: ChunkGenerator;
  #pending?: PendingChange;
  #closed = false;
  #wake?: () => void;
  #loop: Promise<void>;
  #paceTimer?: NodeJS.Timeout;
  #seq = 0;
  #chunks = 0;
  #chunkMs?: number;
  #latencyMs?: number;
  #outputFrames = 0;
  #externalDrops = 0;
  readonly #references = new Map<string, RgbImage>();
  #referenceCount = 0;
  /** Serialises updateParams so two concurrent updates cannot both build a generator. */
  #updates: Promise<unknown> = Promise.resolve();

  readonly output$: Observable<TimedFrame>;
  readonly events$: Observable<SessionEvent>;

  constructor(opts: SessionPipelineOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#queue = new BoundedQueue(opts.queueCapacity ?? 24);
    const initial = parseParamsPatch(opts.initialParams ?? {});
    if (!initial.ok) throw new Error(initial.error);
    this.#params = { ...DEFAULT_PARAMS, ...initial.value, mode: 'preview' };
    if (initial.value.mode === 'generate') throw new NoModelLoadedError('start the session in preview mode, then switch with a parameter update');
    this.#control = this.#makeControl(this.#params.control);
    this.output$ = this.#output.asObservable();
    this.events$ = this.#events.asObservable();
    this.#loop = this.#run();
  }

  get params(): SessionParams {
    return this.#params;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Feeds one decoded camera frame (count must be 1). */
  pushFrame(frame: RgbFrames, capturedAt = this.#now()): void {
    if (this.#closed) return;
    if (frame.count !== 1) throw new Error(`pushFrame takes one frame at a time, got ${frame.count}`);
    this.#inRate.mark(this.#now());
    this.#queue.push({ frame, capturedAt, seq: this.#seq++ });
    this.#wake?.();
  }

  /**
   * Stores an uploaded reference image and returns its id for the `referenceId` parameter. The
   * same object is handed to the generator every chunk, which tells it the reference is unchanged.
   */
  addReference(image: RgbImage): string {
    const id = `ref-${++this.#referenceCount}`;
    this.#references.set(id, image);
    // Keep the store bounded; never evict the reference in use.
    for (const old of this.#references.keys()) {
      if (this.#references.size <= 4) break;
      if (old !== this.#params.referenceId && old !== id) this.#references.delete(old);
    }
    return id;
  }

  /** Frames the media bridge had to drop after the pipeline (encoder back-pressure). */
  noteDownstreamDrop(count = 1): void {
    this.#externalDrops += count;
  }

  /**
   * Validates an update and queues it for the next chunk boundary. An invalid update (bad value,
   * unknown control, generate mode without a model) changes nothing.
   */
  updateParams(input: unknown): Promise<UpdateResult> {
    const run = this.#updates.then(() => this.#prepareUpdate(input));
    this.#updates = run.catch(() => undefined);
    return run;
  }

  async #prepareUpdate(input: unknown): Promise<UpdateResult> {
    if (this.#closed) return { ok: false, error: 'session is closed' };
    const parsed = parseParamsPatch(input);
    if (!parsed.ok) return parsed;
    const patch = parsed.value;
    const pending: PendingChange = this.#pending ?? { patch: {} };
    const target = { ...this.#params, ...pending.patch, ...patch };
    if (patch.referenceId && !this.#references.has(patch.referenceId)) {
      return { ok: false, error: `unknown reference '${patch.referenceId}': upload the image first (POST /api/sessions/<id>/reference)` };
    }
    let control: Control | undefined;
    let generator: ChunkGenerator | undefined;
    try {
      if (patch.control !== undefined && patch.control !== (pending.control?.id ?? this.#control.id)) {
        control = this.#makeControl(patch.control);
      }
      if (target.mode === 'generate' && !this.#generator && !pending.generator) {
        const size = this.#frameSize();
        generator = await this.#opts.generators.create({ width: size.width, height: size.height });
      }
    } catch (err) {
      control?.dispose?.();
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    if (this.#closed) {
      control?.dispose?.();
      await generator?.dispose();
      return { ok: false, error: 'session is closed' };
    }
    if (control) {
      pending.control?.dispose?.();
      pending.control = control;
    }
    if (generator) pending.generator = generator;
    pending.patch = { ...pending.patch, ...patch };
    this.#pending = pending;
    this.#wake?.();
    return { ok: true, acceptedAtChunk: this.#chunks, params: target };
  }

  stats(): PipelineStats {
    const now = this.#now();
    return {
      mode: this.#params.mode,
      control: this.#control.id,
      generator: this.#generator?.id ?? null,
      chunks: this.#chunks,
      inputFps: round1(this.#inRate.perSecond(now)),
      outputFps: round1(this.#outRate.perSecond(now)),
      chunkMs: this.#chunkMs === undefined ? null : round1(this.#chunkMs),
      chunkIntervalMs: this.#pacer.chunkIntervalMs === undefined ? null : round1(this.#pacer.chunkIntervalMs),
      latencyMs: this.#latencyMs === undefined ? null : round1(this.#latencyMs),
      queued: this.#queue.size,
      droppedFrames: this.#queue.dropped + this.#pacer.dropped + this.#externalDrops,
      inputFrames: this.#seq,
      outputFrames: this.#outputFrames,
    };
  }

  /** Stops the loop, waits (bounded) for an in-flight chunk, frees control and generator. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    clearTimeout(this.#paceTimer);
    this.#pacer.clear();
    this.#queue.clear();
    await Promise.race([this.#loop, new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.#updates;
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.control?.dispose?.();
    await pending?.generator?.dispose().catch(() => undefined);
    this.#control.dispose?.();
    await this.#generator?.dispose().catch(() => undefined);
    this.#generator = undefined;
    this.#output.complete();
    this.#events.complete();
  }

  #makeControl(id: string): Control {
    if (!this.#opts.controls.list().some((c) => c.id === id)) {
      throw new Error(`unknown control '${id}'; available: ${this.#opts.controls.list().map((c) => c.id).join(', ')}`);
    }
    return this.#opts.controls.create(id);
  }

  #lastSize?: { width: number; height: number };
  #frameSize(): { width: number; height: number } {
    return this.#lastSize ?? this.#opts.frameSize ?? { width: 640, height: 360 };
  }

  /** Applies the queued update at a chunk boundary. */
  async #applyPending(): Promise<void> {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    this.#params = { ...this.#params, ...p.patch };
    if (p.control) {
      this.#control.dispose?.();
      this.#control = p.control;
    }
    if (p.generator) {
      await this.#generator?.dispose().catch(() => undefined);
      this.#generator = p.generator;
    }
    if (this.#params.mode === 'preview' && this.#generator) {
      await this.#generator.dispose().catch(() => undefined);
      this.#generator = undefined;
    }
    if (p.patch.seed !== undefined || p.patch.mode !== undefined) this.#generator?.reset();
    this.#events.next({ type: 'applied', chunk: this.#chunks, params: this.#params });
  }

  #framesWanted(): number {
    if (this.#params.mode === 'generate' && this.#generator) return this.#generator.framesForNextChunk();
    return this.#opts.previewChunkFrames ?? 1;
  }

  async #waitFor(want: number): Promise<void> {
    while (!this.#closed && this.#queue.size < want && !this.#pending) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
  }

  async #run(): Promise<void> {
    // In generate mode the next chunk's frames are taken and its control computed while the
    // generator works on the current chunk (`next`); a parameter change at the boundary redoes it.
    let next: Promise<Prepared | undefined> | undefined;
    while (!this.#closed) {
      await this.#applyPending();
      let prepared = next ? await next : undefined;
      next = undefined;
      if (prepared && prepared.params !== this.#params) prepared = await this.#prepare(prepared.batch);
      if (!prepared) {
        const want = this.#framesWanted();
        await this.#waitFor(want);
        if (this.#closed) break;
        if (this.#pending) continue; // apply it before taking the next chunk
        const batch = this.#queue.takeEvenly(want);
        if (!batch) continue;
        prepared = await this.#prepare(batch);
        if (!prepared) continue;
      }
      if (prepared.params.mode === 'generate' && this.#generator) {
        const generating = this.#generate(prepared);
        next = this.#prefetch(this.#framesWanted());
        await generating;
      } else {
        this.#emit(prepared, prepared.control.frames, prepared.mask);
      }
    }
    await next;
  }

  /** Waits for the next chunk's frames (unless a change is pending) and runs its control. */
  async #prefetch(want: number): Promise<Prepared | undefined> {
    await this.#waitFor(want);
    if (this.#closed || this.#pending) return undefined;
    const batch = this.#queue.takeEvenly(want);
    return batch ? this.#prepare(batch) : undefined;
  }

  /** Packs a batch, fits it to the generator, runs the control. Undefined when the chunk is dropped. */
  async #prepare(batch: TimedFrame[]): Promise<Prepared | undefined> {
    const started = this.#now();
    let chunk: RgbFrames;
    try {
      chunk = packChunk(batch);
    } catch {
      // The camera changed size mid-queue; drop the mixed batch and start afresh.
      this.#externalDrops += batch.length;
      return undefined;
    }
    this.#lastSize = { width: chunk.width, height: chunk.height };
    const params = this.#params;
    if (params.mode === 'generate' && this.#generator) {
      // Model presets take one fixed size; fit the camera to it before the control runs.
      const size = this.#generator.outputSize(chunk.width, chunk.height);
      chunk = resizeCover(chunk, size.width, size.height);
    }
    try {
      const control = await this.#control.process(chunk);
      const mask = control.mask ?? buildMask(params, chunk.width, chunk.height, chunk.count);
      return { batch, chunk, control, mask, params, controlId: this.#control.id, started };
    } catch (err) {
      this.#fail(params, err);
      return undefined;
    }
  }

  async #generate(p: Prepared): Promise<void> {
    const generator = this.#generator!;
    let out: RgbFrames;
    try {
      const reference = p.params.referenceId ? this.#references.get(p.params.referenceId) : undefined;
      out = await generator.generate({
        frames: p.chunk,
        // 'passthrough' in generate mode means no VACE control (text or V2V from the camera);
        // a mask alone still selects what is regenerated.
        control: p.controlId === 'passthrough' && !p.mask ? undefined : { frames: p.control.frames, mask: p.mask },
        params: generationParams(p.params),
        references: reference ? [reference] : undefined,
      });
    } catch (err) {
      this.#fail(p.params, err);
      return;
    }
    this.#emit(p, out);
  }

  #fail(params: SessionParams, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#events.next({ type: 'error', message: `${params.mode === 'generate' ? 'generation' : `control '${this.#control.id}'`} failed: ${message}` });
    if (params.mode === 'generate') {
      // Keep the stream alive: fall back to preview rather than failing every chunk.
      this.#pending = { ...(this.#pending ?? {}), patch: { ...(this.#pending?.patch ?? {}), mode: 'preview' } };
    }
  }

  #emit(p: Prepared, out: RgbFrames, previewMask?: Prepared['mask']): void {
    if (this.#closed) return;
    if (previewMask) dimOutsideMask(out, previewMask);
    const ms = this.#now() - p.started;
    this.#chunkMs = this.#chunkMs === undefined ? ms : this.#chunkMs + 0.3 * (ms - this.#chunkMs);
    this.#chunks++;
    this.#events.next({ type: 'chunk', chunk: this.#chunks - 1, frames: out.count, ms, mode: p.params.mode });
    this.#pacer.enqueue(unpackChunk(out, p.batch), this.#now());
    this.#drainPacer();
  }

  #drainPacer(): void {
    clearTimeout(this.#paceTimer);
    if (this.#closed) return;
    const now = this.#now();
    for (const f of this.#pacer.takeDue(now)) {
      this.#outRate.mark(now);
      this.#outputFrames++;
      const lat = now - f.capturedAt;
      this.#latencyMs = this.#latencyMs === undefined ? lat : this.#latencyMs + 0.2 * (lat - this.#latencyMs);
      this.#output.next(f);
    }
    const next = this.#pacer.nextDueAt();
    if (next !== undefined) this.#paceTimer = setTimeout(() => this.#drainPacer(), Math.max(0, next - this.#now()));
  }
}

function generationParams(p: SessionParams): GenerationParams {
  return {
    prompt: p.prompt,
    seed: p.seed,
    contextScale: p.contextScale,
    noiseScale: p.noiseScale ?? undefined,
    steps: p.steps,
    interpolation: p.interpolation,
    transitionChunks: p.transitionChunks,
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
