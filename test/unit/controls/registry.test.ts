import { describe, expect, it } from 'vitest';
import { createControl, listControls } from '../../../controls/registry.ts';

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

  it('creates every listed control with default options, with the matching id', () => {
    for (const { id, needsWeights } of listControls()) {
      if (needsWeights) continue;
      const c = createControl(id);
      expect(c.id).toBe(id);
      expect(c.needsWeights).toBe(false);
    }
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
});
