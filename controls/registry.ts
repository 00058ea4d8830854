/**
 * The controls a session can pick by id, with their options validated by zod.
 *
 * `listControls()` is what the server advertises; `createControl(id, options, deps)` builds a
 * fresh instance (per-session state lives in the instance); `parseControlOptions(id, options)`
 * validates without building anything. Unknown ids and invalid options throw an Error naming the
 * id and the offending field — the server turns that into a 400, never a crash. The annotators
 * (depth, scribble) take their checkpoints from `deps.weights`.
 */
import { z } from 'zod';
import type { AnnotatorRole, AnnotatorWeights } from './annotator-weights.ts';
import { buildMaskSource, composeControl } from './compose.ts';
import { DepthControl } from './depth.ts';
import { EdgesControl } from './edges.ts';
import { ExtensionControl } from './extension.ts';
import { GrayControl } from './gray.ts';
import { InpaintControl } from './masks/inpaint.ts';
import { LayoutBboxControl } from './masks/layout.ts';
import { OutpaintControl } from './masks/outpaint.ts';
import type { OutpaintDirection } from './masks/outpaint-geometry.ts';
import { PassthroughControl } from './passthrough.ts';
import { ScribbleControl } from './scribble.ts';
import {
  compositionSchema,
  extensionOptionsSchema,
  inpaintOptionsSchema,
  layoutOptionsSchema,
  outpaintOptionsSchema,
  type NestedControlSpec,
} from './schemas.ts';
import type { Control } from './types.ts';

export interface ControlInfo {
  readonly id: string;
  readonly needsWeights: boolean;
  readonly description: string;
}

/** What building a control may need besides its options. */
export interface ControlDeps {
  /** Where depth and scribble find their checkpoints; the other controls need none. */
  readonly weights?: AnnotatorWeights;
}

interface ControlEntry<S extends z.ZodType> extends ControlInfo {
  readonly options: S;
  readonly create: (options: z.output<S>, deps: ControlDeps) => Control;
}

function entry<S extends z.ZodType>(e: ControlEntry<S>): ControlEntry<z.ZodType> {
  return e as unknown as ControlEntry<z.ZodType>;
}

const noOptions = z.object({}).strict();

/** Depth's options as a session or the CLI may set them (the rest of DepthSettings is for tests and benchmarks). */
export const depthOptionsSchema = z
  .object({
    framesPerCall: z.number().int().min(1).max(32).optional(),
    inputSize: z.number().int().min(140).max(518).multipleOf(14).optional(),
    stabilise: z.boolean().optional(),
    smoothing: z.number().min(0).lt(1).optional(),
  })
  .strict();
export type DepthOptions = z.output<typeof depthOptionsSchema>;

function annotatorWeights(deps: ControlDeps, role: AnnotatorRole): string {
  if (!deps.weights) throw new Error(`control '${role}' needs its weights, and no AnnotatorWeights were given to createControl`);
  return deps.weights.path(role);
}

const ENTRIES: readonly ControlEntry<z.ZodType>[] = [
  entry({
    id: 'passthrough',
    needsWeights: false,
    description: 'The camera frames themselves as the control video.',
    options: noOptions,
    create: () => new PassthroughControl(),
  }),
  entry({
    id: 'gray',
    needsWeights: false,
    description: 'BT.601 luma replicated to RGB (VACE gray control).',
    options: z.object({ upstreamChannelSwap: z.boolean().optional() }).strict(),
    create: (o) => new GrayControl(o),
  }),
  entry({
    id: 'edges',
    needsWeights: false,
    description: 'Canny line art: white lines on black, like VACE scribble conditioning.',
    options: z
      .object({
        sigma: z.number().min(0).max(10).optional(),
        low: z.number().min(0).optional(),
        high: z.number().min(0).optional(),
      })
      .strict()
      .refine((o) => o.low === undefined || o.high === undefined || o.low <= o.high, {
        message: 'low must be ≤ high',
        path: ['low'],
      }),
    create: (o) => new EdgesControl(o),
  }),
  entry({
    id: 'depth',
    needsWeights: true,
    description: 'Video-Depth-Anything-Small depth (near = bright), its range held steady across chunks (VACE depth control).',
    options: depthOptionsSchema,
    create: (o, deps) => new DepthControl({ ...o, weightsPath: annotatorWeights(deps, 'depth') }),
  }),
  entry({
    id: 'scribble',
    needsWeights: true,
    description: 'VACE scribble contour network (anime_style): a line drawing of the frame (VACE scribble control).',
    options: noOptions,
    create: (_, deps) => new ScribbleControl({ weightsPath: annotatorWeights(deps, 'scribble') }),
  }),
  entry({
    id: 'inpaint',
    needsWeights: false,
    description: 'Regenerate a masked region (rectangle, painted PNG or moving box): gray there, mask 1; optionally guided by a nested control.',
    options: inpaintOptionsSchema,
    create: (o, deps) => new InpaintControl({ mask: buildMaskSource(o.mask), fill: o.fill, control: nested(o.control, deps) }),
  }),
  entry({
    id: 'outpaint',
    needsWeights: false,
    description: 'Grow the picture: the source is placed inside the frame, the margin is gray with mask 1 (VACE outpainting).',
    options: outpaintOptionsSchema,
    create: (o, deps) => new OutpaintControl({ ...o, directions: o.directions as OutpaintDirection[], control: nested(o.control, deps) }),
  }),
  entry({
    id: 'layout',
    needsWeights: false,
    description: 'A box outline moving between two boxes over N frames on white (VACE LayoutBbox).',
    options: layoutOptionsSchema,
    create: (o) => new LayoutBboxControl(o),
  }),
  entry({
    id: 'extension',
    needsWeights: false,
    description: 'First and/or last frame image as extension context: replicated over the anchor frames with mask 0.',
    options: extensionOptionsSchema,
    create: (o, deps) => new ExtensionControl({ ...o, control: nested(o.control, deps) }),
  }),
  entry({
    id: 'compose',
    needsWeights: false,
    description: 'One control plus an inpaint mask or outpaint plus an extension anchor in the same chunk.',
    options: compositionSchema,
    create: (o, deps) => composeControl(o, (id, options) => createControl(id, options, deps)),
  }),
];

function nested(spec: NestedControlSpec | undefined, deps: ControlDeps): Control | undefined {
  return spec ? createControl(spec.id, spec.options, deps) : undefined;
}

const BY_ID = new Map(ENTRIES.map((e) => [e.id, e]));

export function listControls(): ControlInfo[] {
  return ENTRIES.map(({ id, needsWeights, description }) => ({ id, needsWeights, description }));
}

function lookup(id: string): ControlEntry<z.ZodType> {
  const e = BY_ID.get(id);
  if (!e) throw new Error(`unknown control '${id}'; known controls: ${ENTRIES.map((x) => x.id).join(', ')}`);
  return e;
}

/**
 * JSON Schema (draft 2020-12) of a control's options as accepted on the wire, for clients that build
 * forms. Cross-field rules (e.g. low ≤ high) are only enforced by createControl.
 */
export function controlOptionsJsonSchema(id: string): Record<string, unknown> {
  return z.toJSONSchema(lookup(id).options, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/** Whether the control needs downloaded weights (throws for an unknown id). */
export function controlNeedsWeights(id: string): boolean {
  return lookup(id).needsWeights;
}

/** A control's options checked and parsed (defaults, transforms) without building the control. */
export function parseControlOptions(id: string, options?: unknown): unknown {
  const parsed = lookup(id).options.safeParse(options ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid options for control '${id}': ${detail}`);
  }
  return parsed.data;
}

export function createControl(id: string, options?: unknown, deps: ControlDeps = {}): Control {
  return lookup(id).create(parseControlOptions(id, options), deps);
}
