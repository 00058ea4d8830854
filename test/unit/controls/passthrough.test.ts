import { describe, expect, it } from 'vitest';
import { PassthroughControl } from '../../../controls/passthrough.ts';

describe('passthrough control', () => {
  it('returns the input frames unchanged and no mask', () => {
    const input = { width: 2, height: 1, count: 1, data: Uint8Array.from([1, 2, 3, 4, 5, 6]) };
    const out = new PassthroughControl().process(input);
    expect(out.frames).toBe(input);
    expect(out.mask).toBeUndefined();
  });
});
