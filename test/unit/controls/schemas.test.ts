import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  boxSchema,
  compositionSchema,
  extensionOptionsSchema,
  imageBytesSchema,
  inpaintOptionsSchema,
  layoutOptionsSchema,
  maskSpecSchema,
  outpaintSpecSchema,
} from '../../../controls/schemas.ts';

/** The issue messages (with their paths) of a failed parse, or [] when it passes. */
function issues(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const PNG_BYTES = [0x89, 0x50, 0x4e, 0x47];

describe('imageBytesSchema', () => {
  it('takes raw bytes, base64 text, and a base64 data: URL, all to the same bytes', () => {
    const raw = new Uint8Array(PNG_BYTES);
    expect(imageBytesSchema.parse(raw)).toBe(raw);
    const b64 = Buffer.from(PNG_BYTES).toString('base64');
    expect(Array.from(imageBytesSchema.parse(b64))).toEqual(PNG_BYTES);
    expect(Array.from(imageBytesSchema.parse(`data:image/png;base64,${b64}`))).toEqual(PNG_BYTES);
    expect(Array.from(imageBytesSchema.parse(`${b64.slice(0, 4)}\n${b64.slice(4)}`))).toEqual(PNG_BYTES); // wrapped lines
  });

  it('rejects empty input, text that is not base64, and other types, with one clear message', () => {
    const message = ': expected base64-encoded image bytes (or a data: URL, or a Uint8Array)';
    for (const bad of [new Uint8Array(0), '', 'data:image/png;base64,', 'not base64!', 'https://example.com/a.png', 42, null, [1, 2, 3], { 0: 1 }]) {
      expect(issues(imageBytesSchema, bad), JSON.stringify(bad)).toEqual([message]);
    }
  });
});

describe('boxSchema', () => {
  it('takes {x1, y1, x2, y2} or upstream’s [x1, y1, x2, y2], both to the object form', () => {
    expect(boxSchema.parse({ x1: 0.1, y1: 0.2, x2: 0.5, y2: 0.6 })).toEqual({ x1: 0.1, y1: 0.2, x2: 0.5, y2: 0.6 });
    expect(boxSchema.parse([1, 2, 3, 4])).toEqual({ x1: 1, y1: 2, x2: 3, y2: 4 });
    expect(boxSchema.parse([2, 2, 2, 2])).toEqual({ x1: 2, y1: 2, x2: 2, y2: 2 }); // empty box is allowed
  });

  it('rejects reversed corners, non-finite values, extra keys and wrong lengths', () => {
    expect(issues(boxSchema, { x1: 5, y1: 0, x2: 1, y2: 1 })).toEqual([': need finite x1 ≤ x2 and y1 ≤ y2']);
    expect(issues(boxSchema, [0, 3, 1, 2])).toEqual([': need finite x1 ≤ x2 and y1 ≤ y2']);
    expect(boxSchema.safeParse([0, 0, Infinity, 1]).success).toBe(false);
    expect(boxSchema.safeParse({ x1: NaN, y1: 0, x2: 1, y2: 1 }).success).toBe(false);
    expect(boxSchema.safeParse({ x1: 0, y1: 0, x2: 1, y2: 1, z: 0 }).success).toBe(false);
    expect(boxSchema.safeParse([0, 0, 1]).success).toBe(false);
    expect(boxSchema.safeParse({ x1: '0', y1: 0, x2: 1, y2: 1 }).success).toBe(false);
  });
});

describe('maskSpecSchema', () => {
  it('parses each kind, decoding a painted mask’s base64 PNG', () => {
    expect(maskSpecSchema.parse({ kind: 'rect', box: [0, 0, 1, 1], feather: 4 })).toEqual({ kind: 'rect', box: { x1: 0, y1: 0, x2: 1, y2: 1 }, feather: 4 });
    const painted = maskSpecSchema.parse({ kind: 'painted', png: Buffer.from(PNG_BYTES).toString('base64'), channel: 'alpha', threshold: 0.5 });
    expect(painted.kind === 'painted' && Array.from(painted.png)).toEqual(PNG_BYTES);
    expect(maskSpecSchema.parse({ kind: 'moving-box', from: [0, 0, 1, 1], to: [1, 1, 2, 2], frames: 12 })).toMatchObject({ from: { x1: 0 }, to: { x2: 2 }, frames: 12 });
  });

  it('rejects an unknown kind, fields of another kind, and out-of-range values, naming the field', () => {
    expect(maskSpecSchema.safeParse({ kind: 'circle', box: [0, 0, 1, 1] }).success).toBe(false);
    expect(maskSpecSchema.safeParse({ kind: 'rect', box: [0, 0, 1, 1], png: 'AAAA' }).success).toBe(false); // strict
    expect(issues(maskSpecSchema, { kind: 'rect', box: [0, 0, 1, 1], feather: 2000 })[0]).toMatch(/^feather: /);
    expect(issues(maskSpecSchema, { kind: 'painted', png: 'AAAA', threshold: 1.5 })[0]).toMatch(/^threshold: /);
    expect(issues(maskSpecSchema, { kind: 'moving-box', from: [0, 0, 1, 1], to: [0, 0, 1, 1], frames: 0 })[0]).toMatch(/^frames: /);
    expect(issues(maskSpecSchema, { kind: 'moving-box', from: [0, 0, 1, 1], to: [0, 0, 1, 1], frames: 1.5 })[0]).toMatch(/^frames: /);
  });
});

describe('option schemas of the mask, layout, outpaint and extension controls', () => {
  it('inpaint: a mask, an optional byte fill and nested control', () => {
    expect(inpaintOptionsSchema.parse({ mask: { kind: 'rect', box: [0, 0, 1, 1] }, fill: 127, control: { id: 'depth' } })).toMatchObject({ fill: 127, control: { id: 'depth' } });
    expect(issues(inpaintOptionsSchema, { mask: { kind: 'rect', box: [0, 0, 1, 1] }, fill: 256 })[0]).toMatch(/^fill: /);
    expect(issues(inpaintOptionsSchema, { mask: { kind: 'rect', box: [0, 0, 1, 1] }, control: { id: '' } })[0]).toMatch(/^control\.id: /);
  });

  it('outpaint: at least one known direction and a ratio in [0, 4]', () => {
    expect(outpaintSpecSchema.parse({ directions: ['left', 'up'], ratio: 0.5 })).toEqual({ directions: ['left', 'up'], ratio: 0.5 });
    expect(issues(outpaintSpecSchema, { directions: [], ratio: 0.5 })[0]).toMatch(/^directions: /);
    expect(issues(outpaintSpecSchema, { directions: ['sideways'], ratio: 0.5 })[0]).toMatch(/^directions\.0: /);
    expect(issues(outpaintSpecSchema, { directions: ['left'], ratio: 5 })[0]).toMatch(/^ratio: /);
  });

  it('layout: boxes, a frame count and RGB byte colours', () => {
    expect(layoutOptionsSchema.parse({ from: [0, 0, 1, 1], to: [1, 1, 2, 2], frames: 4, color: [255, 0, 0] })).toMatchObject({ color: [255, 0, 0] });
    expect(issues(layoutOptionsSchema, { from: [0, 0, 1, 1], to: [1, 1, 2, 2], frames: 4, color: [256, 0, 0] })[0]).toMatch(/^color\.0: /);
  });

  it('extension: needs a first or a last image', () => {
    const png = Buffer.from(PNG_BYTES).toString('base64');
    expect(extensionOptionsSchema.safeParse({ last: png }).success).toBe(true);
    expect(issues(extensionOptionsSchema, { chunks: 2 })).toEqual(['first: give first, last, or both']);
    expect(issues(extensionOptionsSchema, { first: png, span: 65 })[0]).toMatch(/^span: /);
  });
});

describe('compositionSchema', () => {
  it('takes any of control, inpaint, outpaint and extension', () => {
    expect(compositionSchema.parse({ control: { id: 'scribble', options: { threads: 1 } } })).toEqual({ control: { id: 'scribble', options: { threads: 1 } } });
    expect(compositionSchema.safeParse({ outpaint: { directions: ['down'], ratio: 1 }, extension: { first: 'AAAA' } }).success).toBe(true);
  });

  it('refuses inpaint with outpaint, an empty composition, and unknown keys', () => {
    const rect = { mask: { kind: 'rect', box: [0, 0, 1, 1] } };
    expect(issues(compositionSchema, { inpaint: rect, outpaint: { directions: ['left'], ratio: 1 } })).toEqual(['outpaint: inpaint and outpaint cannot be combined in one chunk']);
    expect(issues(compositionSchema, {})).toEqual([': nothing to compose: give control, inpaint, outpaint or extension']);
    expect(compositionSchema.safeParse({ control: { id: 'gray' }, style: 'x' }).success).toBe(false);
  });
});
