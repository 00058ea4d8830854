/**
 * Admitting parameter updates. Each message is checked on arrival (schema, known reference, known
 * control, a model for generate mode), so an invalid one gets its own error and changes nothing.
 * Valid messages are prepared in bounded batches (latest-wins-batches.ts): while one batch is
 * being prepared — a generator being built can take seconds — later messages merge, in order,
 * into the one batch waiting behind it. Preparing a batch makes at most one control (for its last
 * `control` value) and at most one generator, then stages the merged patch for the next boundary.
 *
 * A batch is staged whole or not at all: if making its control or generator fails, every message
 * in it gets that error. A caller that awaits each answer before sending the next gets exactly
 * one batch per message.
 */
import type { Control } from '../../controls/types.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import type { ActiveResources } from './active-resources.ts';
import { makeControl, unknownControlError, type ControlSource } from './control-source.ts';
import { NoModelLoadedError, type GeneratorRegistry } from './generators.ts';
import { LatestWinsBatches } from './latest-wins-batches.ts';
import { mergePatches, type ParamStaging } from './param-staging.ts';
import { parseParamsPatch, settingsProblem, type SessionParams, type SessionParamsPatch } from './params.ts';
import type { ReferenceStore } from './reference-store.ts';

export type UpdateResult =
  | { readonly ok: true; readonly acceptedAtChunk: number; readonly params: SessionParams }
  | { readonly ok: false; readonly error: string };

export interface ParamUpdatesOptions {
  readonly staging: ParamStaging;
  readonly active: ActiveResources;
  readonly controls: ControlSource;
  readonly generators: GeneratorRegistry;
  readonly references: ReferenceStore;
  /** Frame size a new generator is made for. */
  readonly frameSize: () => { readonly width: number; readonly height: number };
  readonly closed: () => boolean;
  /** Chunks finished so far (an update is accepted "at" this chunk). */
  readonly chunks: () => number;
  /** Called after a change was staged (the driver wakes its loop). */
  readonly onStaged: () => void;
}

const CLOSED: UpdateResult = { ok: false, error: 'session is closed' };

export class ParamUpdates {
  readonly #o: ParamUpdatesOptions;
  readonly #batches: LatestWinsBatches<SessionParamsPatch, UpdateResult>;

  constructor(options: ParamUpdatesOptions) {
    this.#o = options;
    this.#batches = new LatestWinsBatches((patches) => this.#prepare(patches));
  }

  /** Validates one message and, if valid, queues it for the next chunk boundary. */
  submit(input: unknown): Promise<UpdateResult> {
    if (this.#o.closed()) return Promise.resolve(CLOSED);
    const parsed = parseParamsPatch(input);
    if (!parsed.ok) return Promise.resolve(parsed);
    const rejected = this.#reject(parsed.value);
    return rejected ? Promise.resolve({ ok: false, error: rejected }) : this.#batches.submit(parsed.value);
  }

  /** Batches being prepared or waiting (at most 2) — the bound on queued work. */
  get pendingBatches(): number {
    return this.#batches.pendingBatches;
  }

  /** Resolves once every update submitted so far is answered. */
  settled(): Promise<void> {
    return this.#batches.settled();
  }

  /** Why a message alone cannot be accepted, or undefined. */
  #reject(patch: SessionParamsPatch): string | undefined {
    if (patch.referenceId && !this.#o.references.has(patch.referenceId)) {
      return `unknown reference '${patch.referenceId}': upload the image first (POST /api/sessions/<id>/reference)`;
    }
    if (patch.control !== undefined) {
      const unknown = unknownControlError(this.#o.controls, patch.control);
      if (unknown) return unknown;
    }
    if (patch.mode === 'generate' && !this.#o.generators.has()) return new NoModelLoadedError().message;
    return settingsProblem({ ...this.#o.staging.target, ...patch });
  }

  async #prepare(patches: readonly SessionParamsPatch[]): Promise<UpdateResult[]> {
    const all = (r: UpdateResult) => patches.map(() => r);
    if (this.#o.closed()) return all(CLOSED);
    const { staging, active } = this.#o;
    const base = staging.target;
    const patch = mergePatches(patches);
    // Each message passed on its own; the batch's messages together may still clash.
    const clash = settingsProblem({ ...base, ...patch });
    if (clash) return all({ ok: false, error: clash });
    let control: Control | undefined;
    let generator: ChunkGenerator | undefined;
    try {
      if (patch.control !== undefined && patch.control !== (staging.staged?.control?.id ?? active.control.id)) {
        control = makeControl(this.#o.controls, patch.control);
      }
      if ({ ...base, ...patch }.mode === 'generate' && !active.generator && !staging.staged?.generator) {
        const size = this.#o.frameSize();
        generator = await this.#o.generators.create({ width: size.width, height: size.height });
      }
    } catch (err) {
      control?.dispose?.();
      return all({ ok: false, error: err instanceof Error ? err.message : String(err) });
    }
    if (this.#o.closed()) {
      control?.dispose?.();
      await generator?.dispose();
      return all(CLOSED);
    }
    const superseded = staging.stage({ patch, control, generator });
    this.#o.onStaged();
    superseded.control?.dispose?.();
    // A generator is made only while none is staged, so none is ever superseded; free it if one were.
    void superseded.generator?.dispose().catch(() => undefined);
    // Each message is answered with the parameters as of itself: the batch's patches up to it.
    const acceptedAtChunk = this.#o.chunks();
    let params = base;
    return patches.map((p) => ({ ok: true, acceptedAtChunk, params: (params = { ...params, ...p }) }));
  }
}
