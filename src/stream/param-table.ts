/**
 * Every session parameter, once: its allowed values, default, meaning and unit. Everything else
 * is derived from this table — the zod schema (params.ts), DEFAULT_PARAMS, the browser client's
 * inputs, the `vace-live render` flags and the README's parameter table — so a range cannot be
 * written twice and drift (issue 14).
 *
 * Plain data without zod: the browser client imports this module as it is.
 */
import { DEFAULT_TRANSITION_CHUNKS } from '../pipeline/prompt-transition.ts';
import { DEFAULT_DENOISING_STEPS, V2V_NOISE_SCALE } from '../pipeline/scheduler.ts';

interface ParamBase {
  /** One line: what the parameter does. */
  readonly meaning: string;
  /** What the value is measured in, where that is not obvious. */
  readonly unit?: string;
  /** Present when the parameter may be null: what null means. */
  readonly nullMeans?: string;
}

export interface EnumParam<V extends string = string> extends ParamBase {
  readonly kind: 'enum';
  readonly values: readonly [V, ...V[]];
  readonly default: V;
}

export interface NumberParam extends ParamBase {
  readonly kind: 'number';
  readonly min: number;
  readonly max: number;
  /** Granularity of the client's slider (the schema takes any number in [min, max]). */
  readonly step: number;
  readonly default: number | null;
}

export interface IntegerParam extends ParamBase {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export interface TextParam extends ParamBase {
  readonly kind: 'text';
  /** What the text is, e.g. "a control id". */
  readonly format: string;
  readonly minLength: number;
  readonly maxLength: number;
  readonly default: string | null;
}

/** A denoising schedule: strictly decreasing integer timesteps (scheduler.ts stepListProblem). */
export interface StepListParam extends ParamBase {
  readonly kind: 'steps';
  readonly min: number;
  readonly max: number;
  readonly maxLength: number;
  readonly default: readonly number[];
}

/** A rectangle { x, y, width, height } in normalised video coordinates that lies inside the frame. */
export interface RectParam extends ParamBase {
  readonly kind: 'rect';
  readonly default: null;
}

/** An object of parameters; a field left out of an update takes its default. */
export interface GroupParam<F extends Record<string, FieldParam> = Record<string, FieldParam>> extends ParamBase {
  readonly kind: 'group';
  readonly fields: F;
}

export type FieldParam = EnumParam | NumberParam | IntegerParam | TextParam | StepListParam | RectParam;
export type ParamSpec = FieldParam | GroupParam;

export interface NormRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const PARAMETERS = {
  mode: {
    kind: 'enum',
    values: ['preview', 'generate'],
    default: 'preview',
    meaning: 'control output only, or the model',
  },
  control: {
    kind: 'text',
    format: 'a control id from controls/registry.ts, e.g. `passthrough`, `gray`, `edges`, `depth`',
    minLength: 1,
    maxLength: 64,
    default: 'passthrough',
    meaning: 'the VACE control signal (`passthrough` in generate mode = no control)',
  },
  prompt: {
    kind: 'text',
    format: 'text, `a:0.7 | b:0.3` for weighted blends',
    minLength: 0,
    maxLength: 4000,
    default: '',
    meaning: 'what to generate; a change is encoded in the background, blends in over `transitionChunks`, then one KV recache',
  },
  seed: {
    kind: 'integer',
    min: 0,
    max: 0xffffffff,
    default: 42,
    meaning: 'per-chunk noise is seeded from (seed, frame index)',
  },
  contextScale: {
    kind: 'number',
    min: 0,
    max: 2,
    step: 0.05,
    default: 1,
    meaning: 'VACE hint strength (a runtime input: no graph rebuild)',
  },
  noiseScale: {
    kind: 'number',
    // The scheduler's range, not a copy of it: every accepted value must give v2vSteps a valid step list.
    min: V2V_NOISE_SCALE.min,
    max: V2V_NOISE_SCALE.max,
    step: 0.05,
    default: 0.7,
    unit: 'fraction of full noise',
    nullMeans: 'text mode (pure noise; the input frames are not used)',
    meaning: 'video-to-video strength: how far the input frames are noised before denoising',
  },
  steps: {
    kind: 'steps',
    min: 0,
    max: 1000,
    maxLength: 8,
    default: DEFAULT_DENOISING_STEPS,
    unit: 'timesteps of 1000',
    meaning: 'the few-step denoising schedule, strictly decreasing (in V2V the first step comes from `noiseScale`)',
  },
  mask: {
    kind: 'rect',
    default: null,
    unit: 'fractions of the frame, origin top-left',
    nullMeans: 'the whole frame is regenerated',
    meaning: 'region to regenerate (inpainting)',
  },
  outpaint: {
    kind: 'group',
    meaning: 'grow the frame: a margin on one side is generated',
    fields: {
      direction: {
        kind: 'enum',
        values: ['none', 'left', 'right', 'up', 'down'],
        default: 'none',
        meaning: 'the side whose margin is generated',
      },
      amount: {
        kind: 'number',
        min: 0,
        max: 0.9,
        step: 0.05,
        default: 0.25,
        unit: 'fraction of the frame',
        meaning: 'width (or height) of the generated margin',
      },
    },
  },
  interpolation: {
    kind: 'enum',
    values: ['linear', 'slerp'],
    default: 'linear',
    meaning: 'how weighted prompts and prompt transitions blend',
  },
  transitionChunks: {
    kind: 'integer',
    min: 1,
    max: 32,
    default: DEFAULT_TRANSITION_CHUNKS,
    unit: 'chunks',
    meaning: 'chunks over which a new prompt blends in (1 = switch at once)',
  },
  referenceId: {
    kind: 'text',
    format: 'an id from POST /api/sessions/:id/reference',
    minLength: 1,
    maxLength: 64,
    default: null,
    nullMeans: 'no reference image',
    meaning: 'a reference image (style / identity)',
  },
} as const satisfies Record<string, ParamSpec>;

export type ParamTable = typeof PARAMETERS;
export type ParamName = keyof ParamTable;

/** The value type a table row describes. */
type ValueOf<S> = S extends EnumParam<infer V>
  ? V
  : S extends NumberParam | IntegerParam
    ? number
    : S extends TextParam
      ? string
      : S extends StepListParam
        ? number[]
        : S extends RectParam
          ? NormRect
          : S extends GroupParam<infer F>
            ? { -readonly [K in keyof F]: ParamValue<F[K]> }
            : never;

export type ParamValue<S> = S extends { readonly nullMeans: string } ? ValueOf<S> | null : ValueOf<S>;

export type SessionParams = { [K in ParamName]: ParamValue<ParamTable[K]> };
export type SessionParamsPatch = Partial<SessionParams>;

function defaultOf(spec: ParamSpec): unknown {
  if (spec.kind === 'group') return Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, defaultOf(f)]));
  if (spec.kind === 'steps') return [...spec.default];
  return spec.default;
}

/** Every parameter at its default (params.ts checks these against the schema when it loads). */
export const DEFAULT_PARAMS = Object.fromEntries(Object.entries(PARAMETERS).map(([k, spec]) => [k, defaultOf(spec)])) as SessionParams;
