import { describe, expect, it } from 'vitest';
import { ActiveResources } from '../../../src/stream/active-resources.ts';
import { DEFAULT_PARAMS } from '../../../src/stream/params.ts';
import { constantControl, FakeGenerator } from '../../support/stream-stages.ts';

const generateParams = { ...DEFAULT_PARAMS, mode: 'generate' as const };

describe('ActiveResources', () => {
  it('takes over a new control and generator and retires the old ones', () => {
    const first = constantControl('ten', 10);
    const next = constantControl('twenty', 20);
    const a = new ActiveResources(first);
    const g1 = new FakeGenerator('g1');
    expect(a.adopt({ patch: { mode: 'generate' }, params: generateParams, generator: g1 })).toEqual({
      retiredControls: [],
      retiredGenerators: [],
      resetGenerator: true,
    });
    const g2 = new FakeGenerator('g2');
    const r = a.adopt({ patch: { control: 'twenty' }, params: generateParams, control: next, generator: g2 });
    expect(r).toEqual({ retiredControls: [first], retiredGenerators: [g1], resetGenerator: false });
    expect(a.control).toBe(next);
    expect(a.generator).toBe(g2);
  });

  it('holds no generator in preview mode and resets only on a seed or mode change', () => {
    const a = new ActiveResources(constantControl('ten', 10));
    const g = new FakeGenerator();
    a.adopt({ patch: { mode: 'generate' }, params: generateParams, generator: g });
    expect(a.adopt({ patch: { prompt: 'x' }, params: generateParams }).resetGenerator).toBe(false);
    expect(a.adopt({ patch: { seed: 3 }, params: generateParams }).resetGenerator).toBe(true);
    const toPreview = a.adopt({ patch: { mode: 'preview' }, params: DEFAULT_PARAMS });
    expect(toPreview).toEqual({ retiredControls: [], retiredGenerators: [g], resetGenerator: false });
    expect(a.generator).toBeUndefined();
  });

  it('release hands over everything held', () => {
    const c = constantControl('ten', 10);
    const a = new ActiveResources(c);
    const g = new FakeGenerator();
    a.adopt({ patch: { mode: 'generate' }, params: generateParams, generator: g });
    expect(a.release()).toEqual({ control: c, generator: g });
    expect(a.generator).toBeUndefined();
  });
});
