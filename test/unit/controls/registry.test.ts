import { describe, expect, it } from 'vitest';
import { controlNeedsWeights, controlOptionsJsonSchema, createControl, listControls, parseControlOptions } from '../../../controls/registry.ts';

describe('control registry', () => {
  it('lists the weight-free controls with descriptions', () => {
    const list = listControls();
    const ids = list.map((c) => c.id);
    for (const id of ['passthrough', 'gray', 'edges']) expect(ids).toContain(id);
    for (const c of list) {
      expect(c.description.length).toBeGreaterThan(0);
      expect(typeof c.needsWeights).toBe('boolean');
    }
    expect(list.find((c) => c.id === 'gray')?.needsWeights).toBe(false);
  });

  it('creates the option-free controls with defaults; the others name their missing field', () => {
    const needOptions = new Set(['inpaint', 'outpaint', 'layout', 'extension', 'compose']);
    for (const { id, needsWeights } of listControls()) {
      if (needsWeights) continue;
      if (needOptions.has(id)) {
        expect(() => createControl(id)).toThrow(new RegExp(`invalid options for control '${id}'`));
        continue;
      }
      const c = createControl(id);
      expect(c.id).toBe(id);
      expect(c.needsWeights).toBe(false);
    }
  });

  it('creates mask, layout, outpaint and extension controls from JSON options, nested controls included', () => {
    const png1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAWk1v8QAAAABJRU5ErkJggg==';
    expect(createControl('inpaint', { mask: { kind: 'rect', box: [0, 0, 2, 2], feather: 1 } }).id).toBe('inpaint');
    expect(createControl('inpaint', { mask: { kind: 'painted', png: png1x1 }, control: { id: 'edges' } }).id).toBe('inpaint');
    expect(createControl('outpaint', { directions: ['left'], ratio: 0.2, control: { id: 'gray' } }).id).toBe('outpaint');
    expect(createControl('layout', { from: [0, 0, 4, 4], to: { x1: 2, y1: 2, x2: 6, y2: 6 }, frames: 81 }).id).toBe('layout');
    expect(createControl('extension', { first: `data:image/png;base64,${png1x1}` }).id).toBe('extension');
    expect(createControl('compose', { control: { id: 'edges' }, outpaint: { directions: ['up'], ratio: 0.1 } }).id).toBe('compose');
  });

  it('reports nested and structural option errors with the field', () => {
    expect(() => createControl('outpaint', { directions: ['left'], ratio: 0.2, control: { id: 'sepia' } })).toThrow(/unknown control 'sepia'/);
    expect(() => createControl('outpaint', { directions: ['diagonal'], ratio: 0.2 })).toThrow(/control 'outpaint'.*directions/);
    expect(() => createControl('inpaint', { mask: { kind: 'rect', box: [4, 0, 2, 2] } })).toThrow(/control 'inpaint'.*mask\.box/);
    expect(() => createControl('inpaint', { mask: { kind: 'painted', png: 'not base64!' } })).toThrow(/control 'inpaint'.*mask\.png.*base64/);
    expect(() => createControl('extension', {})).toThrow(/control 'extension'.*first/);
    expect(() => createControl('compose', { inpaint: { mask: { kind: 'rect', box: [0, 0, 1, 1] } }, outpaint: { directions: ['up'], ratio: 0.1 } })).toThrow(/cannot be combined/);
  });

  it('passes validated options through', () => {
    const c = createControl('gray', { upstreamChannelSwap: true });
    const out = c.process({ width: 1, height: 1, count: 1, data: Uint8Array.from([255, 0, 0]) });
    expect(Array.from((out as { frames: { data: Uint8Array } }).frames.data)).toEqual([29, 29, 29]);
  });

  it('names the unknown id and the known ones', () => {
    expect(() => createControl('sepia')).toThrow(/unknown control 'sepia'.*gray/);
  });

  it('names the control and the field for invalid options', () => {
    expect(() => createControl('edges', { sigma: -1 })).toThrow(/control 'edges'.*sigma/);
    expect(() => createControl('edges', { low: 90, high: 10 })).toThrow(/control 'edges'.*low/);
    expect(() => createControl('gray', { bogus: 1 })).toThrow(/control 'gray'/);
    expect(() => createControl('passthrough', 'yes')).toThrow(/control 'passthrough'/);
  });

  it('describes every control\'s options as JSON Schema', () => {
    for (const { id } of listControls()) expect(controlOptionsJsonSchema(id)).toMatchObject({ type: 'object' });
    expect(controlOptionsJsonSchema('outpaint')).toMatchObject({ required: expect.arrayContaining(['directions', 'ratio']) });
    expect(() => controlOptionsJsonSchema('sepia')).toThrow(/unknown control 'sepia'/);
  });
  it('validates options without building the control (no weights needed for depth)', () => {
    expect(parseControlOptions('depth', { inputSize: 266, stabilise: false })).toEqual({ inputSize: 266, stabilise: false });
    expect(parseControlOptions('scribble')).toEqual({});
    expect(() => parseControlOptions('depth', { inputSize: 300 })).toThrow(/invalid options for control 'depth': inputSize/);
    expect(() => parseControlOptions('sepia')).toThrow(/unknown control 'sepia'/);
    // Transforms apply: a [x1, y1, x2, y2] box comes back as an object.
    expect(parseControlOptions('layout', { from: [0, 0, 4, 4], to: [2, 2, 6, 6], frames: 9 })).toMatchObject({ from: { x1: 0, y1: 0, x2: 4, y2: 4 } });
  });

  it('says which controls need weights', () => {
    expect(controlNeedsWeights('depth')).toBe(true);
    expect(controlNeedsWeights('scribble')).toBe(true);
    expect(controlNeedsWeights('gray')).toBe(false);
    expect(() => controlNeedsWeights('sepia')).toThrow(/unknown control 'sepia'/);
  });
});
