/**
 * The controls a session can pick by id, with their options validated by zod.
 *
 * `listControls()` is what the server advertises; `createControl(id, options)` builds a fresh
 * instance (per-session state lives in the instance). Unknown ids and invalid options throw an
 * Error naming the id and the offending field — the server turns that into a 400, never a crash.
 */
import { z } from 'zod';
import { EdgesControl } from './edges.ts';
import { GrayControl } from './gray.ts';
import { PassthroughControl } from './passthrough.ts';
import type { Control } from './types.ts';

export interface ControlInfo {
  readonly id: string;
  readonly needsWeights: boolean;
  readonly description: string;
}

interface ControlEntry<S extends z.ZodType> extends ControlInfo {
  readonly options: S;
  readonly create: (options: z.output<S>) => Control;
}

function entry<S extends z.ZodType>(e: ControlEntry<S>): ControlEntry<z.ZodType> {
  return e as unknown as ControlEntry<z.ZodType>;
}

const noOptions = z.object({}).strict();

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
];

const BY_ID = new Map(ENTRIES.map((e) => [e.id, e]));

export function listControls(): ControlInfo[] {
  return ENTRIES.map(({ id, needsWeights, description }) => ({ id, needsWeights, description }));
}

export function createControl(id: string, options?: unknown): Control {
  const e = BY_ID.get(id);
  if (!e) {
    throw new Error(`unknown control '${id}'; known controls: ${ENTRIES.map((x) => x.id).join(', ')}`);
  }
  const parsed = e.options.safeParse(options ?? {});
  if (!parsed.success) {
    const detail = parsed.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(options)'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid options for control '${id}': ${detail}`);
  }
  return e.create(parsed.data);
}
