import { describe, expect, it } from 'vitest';
import { fallbackFor } from '../../../src/stream/fallback-policy.ts';
import { DEFAULT_PARAMS } from '../../../src/stream/params.ts';

describe('fallbackFor', () => {
  it('in generate mode reports the failure and stages a switch back to preview', () => {
    const params = { ...DEFAULT_PARAMS, mode: 'generate' as const };
    expect(fallbackFor({ failed: 'generation', params, controlId: 'ten', error: new Error('out of memory') })).toEqual([
      { report: 'generation failed: out of memory' },
      { stage: { mode: 'preview' } },
    ]);
  });

  it('in preview mode only reports, naming the control', () => {
    expect(fallbackFor({ failed: 'control', params: DEFAULT_PARAMS, controlId: 'depth', error: 'no weights' })).toEqual([{ report: "control 'depth' failed: no weights" }]);
  });
});
