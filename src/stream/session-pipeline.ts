/**
 * One live session's video pipeline: a thin driver over small stages, data flowing one way —
 *
 *   pushFrame → ChunkIntake: bounded queue, even sampling, packing          chunk-intake.ts
 *     → ControlStage: fit to the generator, run the control, build the mask  control-stage.ts
 *     → generateChunk (generate mode) | previewChunk (preview mode)          generate-stage.ts
 *     → PacingStage: frames spread over the measured chunk interval          pacing-stage.ts
 *     → output$
 *
 * Beside the flow: updates are validated on arrival and prepared in bounded batches
 * (param-updates.ts), then staged for the next chunk boundary (param-staging.ts), where the control
 * and generator they brought take over (active-resources.ts) — so a chunk never mixes two
 * settings. A failed chunk becomes a report and, in generate mode, a staged switch to preview
 * (fallback-policy.ts). The stages are pure; this driver owns the clock, the one pacing timer, the
 * awaits, disposal, and rxjs at the edges (`output$`, `events$`).
 */
import { Subject, type Observable } from 'rxjs';
import type { RgbFrames } from '../frames.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import { ActiveResources } from './active-resources.ts';
import { ChunkIntake, type CameraChunk } from './chunk-intake.ts';
import { makeControl, type ControlSource } from './control-source.ts';
import { ControlStage, type PreparedChunk } from './control-stage.ts';
import { fallbackFor } from './fallback-policy.ts';
import { generateChunk, previewChunk, type ChunkResult } from './generate-stage.ts';
import { NoModelLoadedError, type GeneratorRegistry } from './generators.ts';
import { PacingStage } from './pacing-stage.ts';
import { ParamStaging } from './param-staging.ts';
import { ParamUpdates, type UpdateResult } from './param-updates.ts';
import { DEFAULT_PARAMS, parseParamsPatch, type SessionParams, type SessionParamsPatch } from './params.ts';
import { ReferenceStore } from './reference-store.ts';
import { roundTenth, SessionMeter } from './session-meter.ts';
import { isStageFailure, type StageFailure } from './stage.ts';
import type { TimedFrame } from './types.ts';

export type { ControlSource } from './control-source.ts';
export type { UpdateResult } from './param-updates.ts';

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

export class SessionPipeline {
  readonly #opts: SessionPipelineOptions;
  readonly #now: () => number;
  readonly #intake: ChunkIntake;
  readonly #controlStage: ControlStage;
  readonly #pacing = new PacingStage();
  readonly #meter = new SessionMeter();
  readonly #references = new ReferenceStore();
  readonly #staging: ParamStaging;
  readonly #active: ActiveResources;
  readonly #updates: ParamUpdates;
  readonly #output = new Subject<TimedFrame>();
  readonly #events = new Subject<SessionEvent>();
  #closed = false;
  #wake?: () => void;
  #loop: Promise<void>;
  #paceTimer?: NodeJS.Timeout;

  readonly output$: Observable<TimedFrame>;
  readonly events$: Observable<SessionEvent>;

  constructor(opts: SessionPipelineOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#intake = new ChunkIntake(opts.queueCapacity ?? 24);
    this.#controlStage = new ControlStage(this.#now);
    const initial = parseParamsPatch(opts.initialParams ?? {});
    if (!initial.ok) throw new Error(initial.error);
    if (initial.value.mode === 'generate') throw new NoModelLoadedError('start the session in preview mode, then switch with a parameter update');
    const params: SessionParams = { ...DEFAULT_PARAMS, ...initial.value, mode: 'preview' };
    this.#staging = new ParamStaging(params);
    this.#active = new ActiveResources(makeControl(opts.controls, params.control));
    this.#updates = new ParamUpdates({
      staging: this.#staging,
      active: this.#active,
      controls: opts.controls,
      generators: opts.generators,
      references: this.#references,
      frameSize: () => this.#intake.frameSize ?? opts.frameSize ?? { width: 640, height: 360 },
      closed: () => this.#closed,
      chunks: () => this.#meter.chunks,
      onStaged: () => this.#wake?.(),
    });
    this.output$ = this.#output.asObservable();
    this.events$ = this.#events.asObservable();
    this.#loop = this.#run();
  }

  get params(): SessionParams {
    return this.#staging.params;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Feeds one decoded camera frame (count must be 1). */
  pushFrame(frame: RgbFrames, capturedAt = this.#now()): void {
    if (this.#closed) return;
    if (frame.count !== 1) throw new Error(`pushFrame takes one frame at a time, got ${frame.count}`);
    this.#meter.frameIn(this.#now());
    this.#intake.processInput({ frame, capturedAt });
    this.#wake?.();
  }

  /**
   * Stores an uploaded reference image and returns its id for the `referenceId` parameter. The
   * same object is handed to the generator every chunk, which tells it the reference is unchanged.
   */
  addReference(image: RgbImage): string {
    return this.#references.add(image, this.#staging.params.referenceId);
  }

  /** Frames the media bridge had to drop after the pipeline (encoder back-pressure). */
  noteDownstreamDrop(count = 1): void {
    this.#meter.downstreamDrop(count);
  }

  /**
   * Validates an update and queues it for the next chunk boundary. An invalid update (bad value,
   * unknown control, generate mode without a model) changes nothing.
   */
  updateParams(input: unknown): Promise<UpdateResult> {
    return this.#updates.submit(input);
  }

  stats(): PipelineStats {
    const now = this.#now();
    const m = this.#meter.read(now);
    const interval = this.#pacing.chunkIntervalMs;
    return {
      mode: this.#staging.params.mode,
      control: this.#active.control.id,
      generator: this.#active.generator?.id ?? null,
      chunks: m.chunks,
      inputFps: m.inputFps,
      outputFps: m.outputFps,
      chunkMs: m.chunkMs,
      chunkIntervalMs: interval === undefined ? null : roundTenth(interval),
      latencyMs: m.latencyMs,
      queued: this.#intake.queued,
      droppedFrames: this.#intake.dropped + this.#pacing.dropped + m.downstreamDrops,
      inputFrames: this.#intake.received,
      outputFrames: m.outputFrames,
    };
  }

  /** Stops the loop, waits (bounded) for an in-flight chunk, frees control and generator. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    clearTimeout(this.#paceTimer);
    this.#pacing.clear();
    this.#intake.clear();
    await Promise.race([this.#loop, new Promise((r) => setTimeout(r, 5000).unref())]);
    await this.#updates.settled();
    const staged = this.#staging.discard();
    staged?.control?.dispose?.();
    await staged?.generator?.dispose().catch(() => undefined);
    const held = this.#active.release();
    held.control.dispose?.();
    await held.generator?.dispose().catch(() => undefined);
    this.#output.complete();
    this.#events.complete();
  }

  async #run(): Promise<void> {
    // In generate mode the next chunk's frames are taken and its control computed while the
    // generator works on the current chunk (`next`); a change applied at the boundary redoes it.
    let next: Promise<PreparedChunk | undefined> | undefined;
    while (!this.#closed) {
      await this.#applyStaged();
      let prepared = next ? await next : undefined;
      next = undefined;
      if (prepared && prepared.params !== this.#staging.params) prepared = await this.#prepare(prepared.camera);
      if (!prepared) {
        const camera = await this.#nextChunk(this.#framesWanted());
        if (!camera) continue; // closed, a change to apply first, or a dropped mixed-size batch
        prepared = await this.#prepare(camera);
        if (!prepared) continue;
      }
      const generator = this.#active.generator;
      if (prepared.params.mode === 'generate' && generator) {
        // generate() is entered synchronously, so framesForNextChunk already answers for the next chunk.
        const generating = this.#generate(prepared, generator);
        next = this.#prefetch(this.#framesWanted());
        await generating;
      } else {
        this.#emit(previewChunk(prepared));
      }
    }
    await next;
  }

  /** At a chunk boundary: applies the staged change, disposes what it retired, tells listeners. */
  async #applyStaged(): Promise<void> {
    const change = this.#staging.takeAtBoundary();
    if (!change) return;
    const adoption = this.#active.adopt(change);
    for (const control of adoption.retiredControls) control.dispose?.();
    for (const generator of adoption.retiredGenerators) await generator.dispose().catch(() => undefined);
    if (adoption.resetGenerator) this.#active.generator?.reset();
    this.#events.next({ type: 'applied', chunk: this.#meter.chunks, params: change.params });
  }

  #framesWanted(): number {
    const generator = this.#active.generator;
    if (this.#staging.params.mode === 'generate' && generator) return generator.framesForNextChunk();
    return this.#opts.previewChunkFrames ?? 1;
  }

  /** The next camera chunk once `want` frames are queued; undefined when closed or a change is staged. */
  async #nextChunk(want: number): Promise<CameraChunk | undefined> {
    while (!this.#closed && !this.#staging.staged && !this.#intake.has(want)) {
      await new Promise<void>((resolve) => (this.#wake = resolve));
      this.#wake = undefined;
    }
    if (this.#closed || this.#staging.staged) return undefined;
    return this.#intake.processInput({ take: want })[0];
  }

  async #prefetch(want: number): Promise<PreparedChunk | undefined> {
    const camera = await this.#nextChunk(want);
    return camera ? this.#prepare(camera) : undefined;
  }

  async #prepare(camera: CameraChunk): Promise<PreparedChunk | undefined> {
    const out = await this.#controlStage.processInput({
      camera,
      params: this.#staging.params,
      control: this.#active.control,
      generator: this.#active.generator,
    });
    if (!isStageFailure(out)) return out;
    this.#fallBack(out);
    return undefined;
  }

  async #generate(prepared: PreparedChunk, generator: ChunkGenerator): Promise<void> {
    const reference = prepared.params.referenceId ? this.#references.get(prepared.params.referenceId) : undefined;
    const out = await generateChunk({ prepared, generator, reference });
    if (isStageFailure(out)) this.#fallBack(out);
    else this.#emit(out);
  }

  #fallBack(failure: StageFailure): void {
    for (const action of fallbackFor(failure)) {
      if ('report' in action) {
        this.#events.next({ type: 'error', message: action.report });
      } else {
        this.#staging.stage({ patch: action.stage });
        this.#wake?.();
      }
    }
  }

  #emit(result: ChunkResult): void {
    if (this.#closed) return;
    const ms = this.#now() - result.started;
    const chunk = this.#meter.chunkDone(ms);
    this.#events.next({ type: 'chunk', chunk, frames: result.frames.count, ms, mode: result.mode });
    this.#pace(result);
  }

  /** Sends the frames due now (scheduling `chunk` first, if given) and sets the timer for the next. */
  #pace(chunk?: ChunkResult): void {
    clearTimeout(this.#paceTimer);
    if (this.#closed) return;
    const now = this.#now();
    for (const f of this.#pacing.processInput({ now, chunk })) {
      this.#meter.frameOut(now, f.capturedAt);
      this.#output.next(f);
    }
    const next = this.#pacing.nextDueAt;
    if (next !== undefined) this.#paceTimer = setTimeout(() => this.#pace(), Math.max(0, next - this.#now()));
  }
}
