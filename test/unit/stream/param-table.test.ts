/** The schema, the defaults and the V2V limits against the parameter table they are built from. */
import { describe, expect, it } from 'vitest';
import { v2vSteps, V2V_NOISE_SCALE } from '../../../src/pipeline/scheduler.ts';
import { DEFAULT_PARAMS, PARAMETERS, parseParamsPatch, sessionParamsSchema } from '../../../src/stream/params.ts';
import type { FieldParam, NumberParam, ParamSpec } from '../../../src/stream/param-table.ts';

/** Every row, group fields as `group.field`, with a function that wraps a field value into an update. */
function rows(): { name: string; spec: FieldParam; patch: (v: unknown) => unknown }[] {
  const out: { name: string; spec: FieldParam; patch: (v: unknown) => unknown }[] = [];
  for (const [name, spec] of Object.entries(PARAMETERS) as [string, ParamSpec][]) {
    if (spec.kind !== 'group') out.push({ name, spec, patch: (v) => ({ [name]: v }) });
    else for (const [field, f] of Object.entries(spec.fields)) out.push({ name: `${name}.${field}`, spec: f, patch: (v) => ({ [name]: { [field]: v } }) });
  }
  return out;
}

const accepts = (patch: unknown) => parseParamsPatch(patch).ok;

describe('the session schema is the parameter table', () => {
  it('accepts the defaults as a full parameter set, and a default of every row alone', () => {
    expect(sessionParamsSchema.safeParse(DEFAULT_PARAMS).success).toBe(true);
    for (const { name, spec, patch } of rows()) expect(accepts(patch(spec.default)), name).toBe(true);
  });

  it('takes a number row from min to max and nothing outside', () => {
    for (const { name, spec, patch } of rows()) {
      if (spec.kind !== 'number' && spec.kind !== 'integer') continue;
      expect([accepts(patch(spec.min)), accepts(patch(spec.max))], name).toEqual([true, true]);
      const eps = spec.kind === 'integer' ? 1 : 1e-9;
      expect([accepts(patch(spec.min - eps)), accepts(patch(spec.max + eps))], name).toEqual([false, false]);
      if (spec.kind === 'integer') expect(accepts(patch(spec.min + 0.5)), name).toBe(false);
    }
  });

  it('takes every value of an enum row and no other', () => {
    for (const { name, spec, patch } of rows()) {
      if (spec.kind !== 'enum') continue;
      for (const v of spec.values) expect(accepts(patch(v)), `${name} ${v}`).toBe(true);
      expect(accepts(patch('no-such-value')), name).toBe(false);
    }
  });

  it('takes null exactly where the table says what null means', () => {
    for (const { name, spec, patch } of rows()) expect(accepts(patch(null)), name).toBe(spec.nullMeans !== undefined);
  });

  it('holds text rows to their lengths', () => {
    for (const { name, spec, patch } of rows()) {
      if (spec.kind !== 'text') continue;
      expect(accepts(patch('x'.repeat(spec.maxLength))), name).toBe(true);
      expect(accepts(patch('x'.repeat(spec.maxLength + 1))), name).toBe(false);
      if (spec.minLength > 0) expect(accepts(patch('x'.repeat(spec.minLength - 1))), name).toBe(false);
    }
  });

  it('takes step lists that are strictly decreasing, in range and not too long', () => {
    const s = PARAMETERS.steps;
    expect(accepts({ steps: [s.max, s.min] })).toBe(true);
    expect(accepts({ steps: [500, 500] })).toBe(false);
    expect(accepts({ steps: [250, 500] })).toBe(false);
    expect(accepts({ steps: [] })).toBe(false);
    expect(accepts({ steps: [s.max + 1] })).toBe(false);
    expect(accepts({ steps: Array.from({ length: s.maxLength + 1 }, (_, i) => s.max - i) })).toBe(false);
  });

  it('refuses a prompt whose weights cannot be blended (the blender\'s own parser checks it)', () => {
    expect(accepts({ prompt: 'a cat:0.7 | a dog:0.3' })).toBe(true);
    expect(accepts({ prompt: 'a clock at 10:30' })).toBe(true);
    const zero = parseParamsPatch({ prompt: 'a:0 | b:0' });
    expect(zero.ok).toBe(false);
    if (!zero.ok) expect(zero.error).toMatch(/prompt: .*sum to 0/);
    expect(accepts({ prompt: 'a:-1' })).toBe(false);
  });

  it('fills a left-out field of outpaint with its default', () => {
    expect(parseParamsPatch({ outpaint: { direction: 'left' } })).toEqual({ ok: true, value: { outpaint: { direction: 'left', amount: PARAMETERS.outpaint.fields.amount.default } } });
  });
});

describe('slider rows', () => {
  const sliders = rows().filter((r): r is { name: string; spec: NumberParam; patch: (v: unknown) => unknown } => r.spec.kind === 'number');

  it('reach their max from their min in whole steps, with the default on the grid', () => {
    for (const { name, spec } of sliders) {
      const notches = (spec.max - spec.min) / spec.step;
      expect(Math.abs(notches - Math.round(notches)), name).toBeLessThan(1e-9);
      if (spec.default !== null) {
        const d = (spec.default - spec.min) / spec.step;
        expect(Math.abs(d - Math.round(d)), `${name} default`).toBeLessThan(1e-9);
      }
    }
  });

  it('noiseScale: the declared range is the scheduler\'s, and every notch of the client slider gives v2vSteps a valid list', () => {
    const spec = PARAMETERS.noiseScale;
    expect([spec.min, spec.max]).toEqual([V2V_NOISE_SCALE.min, V2V_NOISE_SCALE.max]);
    const notches = Math.round((spec.max - spec.min) / spec.step);
    for (let k = 0; k <= notches; k++) {
      // The value as the client reads it back from the slider (rounded to the step's decimals).
      const value = Number((spec.min + k * spec.step).toFixed(2));
      expect(accepts({ noiseScale: value }), String(value)).toBe(true);
      expect(v2vSteps(DEFAULT_PARAMS.steps, value)[0]!, String(value)).toBeGreaterThan(0);
    }
  });
});
