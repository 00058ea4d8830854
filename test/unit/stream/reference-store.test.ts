import { describe, expect, it } from 'vitest';
import { ReferenceStore } from '../../../src/stream/reference-store.ts';

const image = (v: number) => ({ width: 1, height: 1, data: new Uint8Array(3).fill(v) });

describe('ReferenceStore', () => {
  it('gives each image a new id and returns the same object', () => {
    const s = new ReferenceStore();
    const a = image(1);
    const id = s.add(a, null);
    expect(id).toBe('ref-1');
    expect(s.get(id)).toBe(a);
    expect(s.add(image(2), null)).toBe('ref-2');
    expect(s.has('ref-9')).toBe(false);
  });

  it('evicts the oldest beyond its capacity, never the one in use', () => {
    const s = new ReferenceStore(2);
    s.add(image(1), null);
    s.add(image(2), null);
    s.add(image(3), 'ref-1');
    expect([s.has('ref-1'), s.has('ref-2'), s.has('ref-3')]).toEqual([true, false, true]);
    s.add(image(4), null);
    expect([s.has('ref-1'), s.has('ref-3'), s.has('ref-4')]).toEqual([false, true, true]);
    expect(s.size).toBe(2);
  });
});
