/**
 * zod schemas for the options of the mask, layout, outpaint, extension and composition controls,
 * shared by the registry (validation of JSON from the data channel / REST) and compose.ts.
 * Images and PNG masks travel as base64 strings (a `data:` URL prefix is accepted) or raw bytes.
 */
import { z } from 'zod';
import { OUTPAINT_DIRECTIONS } from './masks/outpaint-geometry.ts';

const BASE64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** Encoded image bytes: a Uint8Array, or base64 text (optionally a data URL). */
export const imageBytesSchema = z.unknown().transform((v, ctx): Uint8Array => {
  if (v instanceof Uint8Array && v.length > 0) return v;
  if (typeof v === 'string') {
    const s = v.replace(/^data:[^;,]*;base64,/, '');
    if (s.length > 0 && BASE64.test(s)) return new Uint8Array(Buffer.from(s, 'base64'));
  }
  ctx.addIssue({ code: 'custom', message: 'expected base64-encoded image bytes (or a data: URL, or a Uint8Array)' });
  return z.NEVER;
});

const boxObject = z.object({ x1: z.number(), y1: z.number(), x2: z.number(), y2: z.number() }).strict();
/** A box as {x1, y1, x2, y2} or upstream's [x1, y1, x2, y2]. */
export const boxSchema = z
  .union([boxObject, z.tuple([z.number(), z.number(), z.number(), z.number()]).transform(([x1, y1, x2, y2]) => ({ x1, y1, x2, y2 }))])
  .refine((b) => Number.isFinite(b.x1 + b.y1 + b.x2 + b.y2) && b.x1 <= b.x2 && b.y1 <= b.y2, { message: 'need finite x1 ≤ x2 and y1 ≤ y2' });

const u8 = z.number().int().min(0).max(255);
const rgbSchema = z.tuple([u8, u8, u8]);

export const nestedControlSchema = z.object({ id: z.string().min(1), options: z.unknown().optional() }).strict();
export type NestedControlSpec = z.output<typeof nestedControlSchema>;

export const maskSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('rect'), box: boxSchema, feather: z.number().min(0).max(1024).optional(), relative: z.boolean().optional() }).strict(),
  z
    .object({
      kind: z.literal('painted'),
      png: imageBytesSchema,
      channel: z.enum(['luma', 'alpha']).optional(),
      threshold: z.number().min(0).max(1).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('moving-box'),
      from: boxSchema,
      to: boxSchema,
      frames: z.number().int().min(1),
      feather: z.number().min(0).max(1024).optional(),
      relative: z.boolean().optional(),
    })
    .strict(),
]);
export type MaskSpec = z.output<typeof maskSpecSchema>;

const inpaintFields = { mask: maskSpecSchema, fill: u8.optional() };
export const inpaintSpecSchema = z.object({ ...inpaintFields }).strict();
export const inpaintOptionsSchema = z.object({ ...inpaintFields, control: nestedControlSchema.optional() }).strict();

const outpaintFields = {
  directions: z.array(z.enum(OUTPAINT_DIRECTIONS as [string, ...string[]])).min(1),
  ratio: z.number().min(0).max(4),
  placement: z.enum(['fit-frame', 'grow-canvas']).optional(),
  keepPaddingRatio: z.number().int().min(1).max(256).optional(),
  maskBlur: z.number().int().min(0).max(256).optional(),
  fill: u8.optional(),
};
export const outpaintSpecSchema = z.object({ ...outpaintFields }).strict();
export const outpaintOptionsSchema = z.object({ ...outpaintFields, control: nestedControlSchema.optional() }).strict();

export const layoutOptionsSchema = z
  .object({
    from: boxSchema,
    to: boxSchema,
    frames: z.number().int().min(1),
    relative: z.boolean().optional(),
    color: rgbSchema.optional(),
    background: rgbSchema.optional(),
  })
  .strict();

const extensionFields = {
  first: imageBytesSchema.optional(),
  last: imageBytesSchema.optional(),
  chunks: z.number().int().min(0).optional(),
  span: z.number().int().min(1).max(64).optional(),
  fill: u8.optional(),
};
const needsAnImage = { message: 'give first, last, or both', path: ['first'] };
export const extensionSpecSchema = z.object({ ...extensionFields }).strict().refine((o) => o.first !== undefined || o.last !== undefined, needsAnImage);
export const extensionOptionsSchema = z
  .object({ ...extensionFields, control: nestedControlSchema.optional() })
  .strict()
  .refine((o) => o.first !== undefined || o.last !== undefined, needsAnImage);

export const compositionSchema = z
  .object({
    control: nestedControlSchema.optional(),
    inpaint: inpaintSpecSchema.optional(),
    outpaint: outpaintSpecSchema.optional(),
    extension: extensionSpecSchema.optional(),
  })
  .strict()
  .refine((o) => !(o.inpaint && o.outpaint), { message: 'inpaint and outpaint cannot be combined in one chunk', path: ['outpaint'] })
  .refine((o) => o.control || o.inpaint || o.outpaint || o.extension, { message: 'nothing to compose: give control, inpaint, outpaint or extension' });
export type CompositionSpec = z.output<typeof compositionSchema>;
