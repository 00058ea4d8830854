/**
 * The control and the generator a session is running with, and their lifetime across chunk
 * boundaries: a staged control or generator replaces the active one, preview mode holds no
 * generator (its GPU memory is freed), and a new seed or mode restarts the generator's stream.
 * Pure: what is retired comes back to the caller, who disposes it.
 */
import type { Control } from '../../controls/types.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import type { AppliedChange } from './param-staging.ts';

export interface Adoption {
  readonly retiredControls: readonly Control[];
  readonly retiredGenerators: readonly ChunkGenerator[];
  /** Whether the (remaining) generator must be reset: the seed or the mode changed. */
  readonly resetGenerator: boolean;
}

export class ActiveResources {
  #control: Control;
  #generator?: ChunkGenerator;

  constructor(control: Control) {
    this.#control = control;
  }

  get control(): Control {
    return this.#control;
  }

  get generator(): ChunkGenerator | undefined {
    return this.#generator;
  }

  /** Takes over what `change` brought and says what to dispose and whether to reset. */
  adopt(change: AppliedChange): Adoption {
    const retiredControls: Control[] = [];
    const retiredGenerators: ChunkGenerator[] = [];
    if (change.control) {
      retiredControls.push(this.#control);
      this.#control = change.control;
    }
    if (change.generator) {
      if (this.#generator) retiredGenerators.push(this.#generator);
      this.#generator = change.generator;
    }
    if (change.params.mode === 'preview' && this.#generator) {
      retiredGenerators.push(this.#generator);
      this.#generator = undefined;
    }
    const resetGenerator = this.#generator !== undefined && (change.patch.seed !== undefined || change.patch.mode !== undefined);
    return { retiredControls, retiredGenerators, resetGenerator };
  }

  /** Everything held, for closing; nothing is held afterwards but the control reference. */
  release(): { readonly control: Control; readonly generator?: ChunkGenerator } {
    const generator = this.#generator;
    this.#generator = undefined;
    return { control: this.#control, generator };
  }
}
