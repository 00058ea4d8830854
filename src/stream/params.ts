/**
 * The one parameter schema of a live session, built from the parameter table (param-table.ts:
 * ranges, defaults, meanings). The WebRTC data channel, the WebSocket, the REST PATCH and the
 * `vace-live render` flags all validate with it; a change is queued and applied at the next
 * chunk boundary.
 *
 * A message carries a partial update; unknown keys are rejected (a typo must not silently do
 * nothing). Values are checked here; whether a control or a generator actually exists is checked
 * by the session when the update arrives (see SessionPipeline.updateParams).
 */
import { z } from 'zod';
import { normalizeWeights, parseWeightedPrompts } from '../pipeline/prompt-blend.ts';
import { stepListProblem } from '../pipeline/scheduler.ts';
import { DEFAULT_PARAMS, PARAMETERS, type FieldParam, type ParamSpec, type SessionParams, type SessionParamsPatch } from './param-table.ts';

export { DEFAULT_PARAMS, PARAMETERS, type SessionParams, type SessionParamsPatch } from './param-table.ts';

/** A rectangle in normalised video coordinates (0..1, origin top-left). */
export const maskRectSchema = z
  .object({
    x: z.number().min(0).max(1),
    y: z.number().min(0).max(1),
    width: z.number().gt(0).max(1),
    height: z.number().gt(0).max(1),
  })
  .strict()
  .refine((r) => r.x + r.width <= 1 + 1e-6 && r.y + r.height <= 1 + 1e-6, {
    message: 'the rectangle must lie inside the video (x + width ≤ 1, y + height ≤ 1)',
  });

/** Why a prompt's weights (`a:0.7 | b:0.3`) cannot be blended, checked by the blender's own parser. */
function promptWeightsProblem(prompt: string): string | undefined {
  try {
    normalizeWeights(parseWeightedPrompts(prompt).map((p) => p.weight));
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Checks beyond a row's range that belong to what the value means (owned by the pipeline code that uses it). */
const extraChecks: { readonly [K in keyof SessionParams]?: (value: SessionParams[K]) => string | undefined } = {
  prompt: promptWeightsProblem,
};

function withCheck<T extends z.ZodType>(schema: T, check: ((value: never) => string | undefined) | undefined): z.ZodType {
  if (!check) return schema;
  return schema.superRefine((value, ctx) => {
    const problem = check(value as never);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

function fieldSchema(spec: FieldParam): z.ZodType {
  switch (spec.kind) {
    case 'enum':
      return z.enum(spec.values);
    case 'number':
      return z.number().min(spec.min).max(spec.max);
    case 'integer':
      return z.number().int().min(spec.min).max(spec.max);
    case 'text':
      return z.string().min(spec.minLength).max(spec.maxLength);
    case 'steps':
      return withCheck(z.array(z.number().int().min(spec.min).max(spec.max)).min(1).max(spec.maxLength), stepListProblem);
    case 'rect':
      return maskRectSchema;
  }
}

function paramSchema(spec: ParamSpec): z.ZodType {
  const schema =
    spec.kind === 'group'
      ? z.object(Object.fromEntries(Object.entries(spec.fields).map(([k, f]) => [k, fieldSchema(f).default(f.default as never)]))).strict()
      : fieldSchema(spec);
  return spec.nullMeans !== undefined ? schema.nullable() : schema;
}

const shape = Object.fromEntries(
  Object.entries(PARAMETERS).map(([name, spec]) => [name, withCheck(paramSchema(spec), extraChecks[name as keyof SessionParams])]),
);

// The shape is built from the table at run time; its value types are the table's (param-table.ts
// SessionParams), which the schema-vs-table test and DEFAULT_PARAMS' check below hold to.
export const sessionParamsSchema = z.object(shape).strict() as unknown as z.ZodType<SessionParams>;
export const sessionParamsPatchSchema = z.object(shape).partial().strict() as unknown as z.ZodType<SessionParamsPatch>;

// A default outside its own range would make every fresh session invalid: fail when the module loads.
const defaultsCheck = sessionParamsSchema.safeParse(DEFAULT_PARAMS);
if (!defaultsCheck.success) throw new Error(`param-table.ts: the defaults do not pass the schema: ${describeIssues(defaultsCheck.error)}`);

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Turns zod issues into one line that names every offending field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
}

export function parseParamsPatch(input: unknown): ParseResult<SessionParamsPatch> {
  const r = sessionParamsPatchSchema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: `invalid parameters: ${describeIssues(r.error)}` };
}

/** Messages a client may send on the data channel or the WebSocket. */
export const clientMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('params'), id: z.union([z.string(), z.number()]).optional(), params: z.unknown() }).strict(),
  z.object({ type: z.literal('stats'), id: z.union([z.string(), z.number()]).optional() }).strict(),
  z.object({ type: z.literal('ping'), id: z.union([z.string(), z.number()]).optional(), t: z.number().optional() }).strict(),
]);
export type ClientMessage = z.output<typeof clientMessageSchema>;

export function parseClientMessage(raw: string): ParseResult<ClientMessage> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  const r = clientMessageSchema.safeParse(json);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: `invalid message: ${describeIssues(r.error)}` };
}

/**
 * Rules that span several parameters, checked on the settings a change would produce (a partial
 * update cannot see them field by field): undefined when the settings are usable.
 */
export function settingsProblem(p: Pick<SessionParams, 'prompt' | 'interpolation'>): string | undefined {
  const parts = parseWeightedPrompts(p.prompt).length;
  if (p.interpolation === 'slerp' && parts > 2) {
    return `interpolation "slerp" blends at most two weighted prompts, the prompt has ${parts} (use "linear", or two parts)`;
  }
  return undefined;
}
