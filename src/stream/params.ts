/**
 * The one parameter schema of a live session. The WebRTC data channel, the WebSocket and the
 * REST PATCH all validate with it; a change is queued and applied at the next chunk boundary.
 *
 * A message carries a partial update; unknown keys are rejected (a typo must not silently do
 * nothing). Values are checked here; whether a control or a generator actually exists is checked
 * by the session when the update arrives (see SessionPipeline.updateParams).
 */
import { z } from 'zod';

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

export const outpaintSchema = z
  .object({
    direction: z.enum(['none', 'left', 'right', 'up', 'down']),
    /** Fraction of the frame (along the direction) that is regenerated. */
    amount: z.number().min(0).max(0.9).default(0.25),
  })
  .strict();

export const sessionParamsSchema = z
  .object({
    mode: z.enum(['preview', 'generate']),
    /** Control id from controls/registry.ts (passthrough, gray, edges, …). */
    control: z.string().min(1).max(64),
    /** Weighted prompts are written `text:weight | text:weight`; parsed by the pipeline's prompt blender. */
    prompt: z.string().max(4000),
    seed: z.number().int().min(0).max(0xffffffff),
    contextScale: z.number().min(0).max(2),
    /** V2V strength in (0, 1]; null = text mode (pure noise). */
    noiseScale: z.number().gt(0).max(1).nullable(),
    /** Denoising timesteps, e.g. [1000, 750, 500, 250]. */
    steps: z.array(z.number().int().min(0).max(1000)).min(1).max(8),
    /** Rectangle to regenerate (1 inside), null = whole frame. */
    mask: maskRectSchema.nullable(),
    outpaint: outpaintSchema,
    /** How weighted prompts (`a:0.7 | b:0.3`) and prompt transitions blend. */
    interpolation: z.enum(['linear', 'slerp']),
    /** Chunks over which a new prompt blends in (then one KV recache); 1 = switch at once. */
    transitionChunks: z.number().int().min(1).max(32),
    /** Id of a reference image uploaded with POST /api/sessions/:id/reference, null = none. */
    referenceId: z.string().max(64).nullable(),
  })
  .strict();

export type SessionParams = z.output<typeof sessionParamsSchema>;

export const sessionParamsPatchSchema = sessionParamsSchema.partial().strict();
export type SessionParamsPatch = z.output<typeof sessionParamsPatchSchema>;

export const DEFAULT_PARAMS: SessionParams = {
  mode: 'preview',
  control: 'passthrough',
  prompt: '',
  seed: 42,
  contextScale: 1,
  noiseScale: 0.7,
  steps: [1000, 750, 500, 250],
  mask: null,
  outpaint: { direction: 'none', amount: 0.25 },
  interpolation: 'linear',
  transitionChunks: 4,
  referenceId: null,
};

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
