import { describe, expect, it } from 'vitest';
import { mergePatches, ParamStaging } from '../../../src/stream/param-staging.ts';
import { DEFAULT_PARAMS } from '../../../src/stream/params.ts';
import { constantControl, FakeGenerator } from '../../support/stream-stages.ts';

describe('ParamStaging', () => {
  it('merges staged patches in order and applies them only at the boundary', () => {
    const s = new ParamStaging(DEFAULT_PARAMS);
    s.stage({ patch: { prompt: 'a', seed: 1 } });
    s.stage({ patch: { prompt: 'b' } });
    expect(s.params).toBe(DEFAULT_PARAMS);
    expect(s.target).toMatchObject({ prompt: 'b', seed: 1 });
    const applied = s.takeAtBoundary()!;
    expect(applied.patch).toEqual({ prompt: 'b', seed: 1 });
    expect(applied.params).toBe(s.params);
    expect(s.params).not.toBe(DEFAULT_PARAMS); // a new object marks the change
    expect(s.params).toMatchObject({ prompt: 'b', seed: 1 });
    expect(s.takeAtBoundary()).toBeUndefined();
    expect(s.staged).toBeUndefined();
  });

  it('keeps a staged control and generator across later patches and hands back a replaced control', () => {
    const s = new ParamStaging(DEFAULT_PARAMS);
    const ten = constantControl('ten', 10);
    const twenty = constantControl('twenty', 20);
    const gen = new FakeGenerator();
    expect(s.stage({ patch: { control: 'ten', mode: 'generate' }, control: ten, generator: gen })).toEqual({ control: undefined, generator: undefined });
    // The fallback policy stages a plain patch: the staged resources stay.
    s.stage({ patch: { mode: 'preview' } });
    expect(s.staged).toMatchObject({ control: ten, generator: gen, patch: { control: 'ten', mode: 'preview' } });
    expect(s.stage({ patch: { control: 'twenty' }, control: twenty }).control).toBe(ten);
    expect(s.discard()).toMatchObject({ control: twenty, generator: gen });
    expect(s.staged).toBeUndefined();
    expect(s.params).toBe(DEFAULT_PARAMS);
  });

  it('mergePatches: later keys win, objects are replaced whole', () => {
    expect(
      mergePatches([{ seed: 1, outpaint: { direction: 'left', amount: 0.5 } }, { outpaint: { direction: 'up', amount: 0.25 } }, { seed: 2 }]),
    ).toEqual({ seed: 2, outpaint: { direction: 'up', amount: 0.25 } });
  });
});
