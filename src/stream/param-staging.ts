/**
 * The parameters in force and the one change staged for the next chunk boundary. A change is a
 * patch plus whatever it needed made beforehand (a new control, a generator); staging more merges
 * into the same change in order, so a chunk never mixes two settings and there is never more
 * than one change waiting. Pure: resources are held and handed over, never disposed here.
 */
import type { Control } from '../../controls/types.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import type { SessionParams, SessionParamsPatch } from './params.ts';

export interface StagedChange {
  readonly patch: SessionParamsPatch;
  readonly control?: Control;
  readonly generator?: ChunkGenerator;
}

/** A change taken at a boundary, with the parameters it produced. */
export interface AppliedChange extends StagedChange {
  readonly params: SessionParams;
}

/** What staging replaced and the caller must dispose. */
export interface Superseded {
  readonly control?: Control;
  readonly generator?: ChunkGenerator;
}

/** Patches folded in order: later keys win (an object such as `outpaint` is replaced whole). */
export function mergePatches(patches: readonly SessionParamsPatch[]): SessionParamsPatch {
  return Object.assign({}, ...patches) as SessionParamsPatch;
}

export class ParamStaging {
  #params: SessionParams;
  #staged?: StagedChange;

  constructor(initial: SessionParams) {
    this.#params = initial;
  }

  /** The parameters in force. A new object whenever a change was applied (identity marks a change). */
  get params(): SessionParams {
    return this.#params;
  }

  get staged(): StagedChange | undefined {
    return this.#staged;
  }

  /** The parameters once the staged change is applied. */
  get target(): SessionParams {
    return this.#staged ? { ...this.#params, ...this.#staged.patch } : this.#params;
  }

  /** Merges `change` into the staged one; a control or generator it replaces comes back to be disposed. */
  stage(change: StagedChange): Superseded {
    const prev = this.#staged;
    this.#staged = {
      patch: { ...prev?.patch, ...change.patch },
      control: change.control ?? prev?.control,
      generator: change.generator ?? prev?.generator,
    };
    return {
      control: change.control && prev?.control,
      generator: change.generator && prev?.generator,
    };
  }

  /** At a chunk boundary: applies the staged change and returns it, or undefined when none is staged. */
  takeAtBoundary(): AppliedChange | undefined {
    const change = this.#staged;
    if (!change) return undefined;
    this.#staged = undefined;
    this.#params = { ...this.#params, ...change.patch };
    return { ...change, params: this.#params };
  }

  /** Removes the staged change without applying it (closing: its resources are the caller's to free). */
  discard(): StagedChange | undefined {
    const change = this.#staged;
    this.#staged = undefined;
    return change;
  }
}
