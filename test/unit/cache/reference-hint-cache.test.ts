import { describe, expect, it } from 'vitest';
import { ReferenceHintCache } from '../../../cache/reference-hint-cache.ts';
import { f32 } from '../../../src/model/tensor.ts';

const img = () => ({ width: 2, height: 2, data: new Uint8Array(12) });
const t = (v: number) => f32([1], [v]);

describe('ReferenceHintCache', () => {
  it('encodes a static context once and reuses each step’s hints until the references change', async () => {
    const cache = new ReferenceHintCache('reuse');
    const refs = [img()];
    const key = ReferenceHintCache.keyOf({ references: refs }, '1000,750');
    let builds = 0;
    let computes = 0;
    for (let chunk = 0; chunk < 3; chunk++) {
      expect((await cache.context(key, async () => t(++builds))).data[0]).toBe(1);
      for (const [step, ts] of [[0, 1000], [1, 750]] as const) {
        const h = await cache.hints(key, step, ts, async () => t(100 + ++computes));
        expect(h.data[0]).toBe(step === 0 ? 101 : 102);
      }
    }
    expect({ builds, computes }).toEqual({ builds: 1, computes: 2 });
    expect(cache.stats).toMatchObject({ contextBuilds: 1, hintComputes: 2, hintHits: 4, invalidations: 0 });

    // A new upload (a new object, even with the same bytes) invalidates context and hints.
    const key2 = ReferenceHintCache.keyOf({ references: [img()] }, '1000,750');
    expect(key2).not.toBe(key);
    expect((await cache.context(key2, async () => t(++builds))).data[0]).toBe(2);
    expect((await cache.hints(key2, 0, 1000, async () => t(100 + ++computes))).data[0]).toBe(103);
    expect(cache.stats.invalidations).toBe(1);
  });

  it('treats the step list, the extension anchors and the reference order as part of the key', () => {
    const a = img();
    const b = img();
    const base = ReferenceHintCache.keyOf({ references: [a, b] }, '1000,750');
    expect(ReferenceHintCache.keyOf({ references: [a, b] }, '1000,750')).toBe(base);
    expect(ReferenceHintCache.keyOf({ references: [b, a] }, '1000,750')).not.toBe(base);
    expect(ReferenceHintCache.keyOf({ references: [a, b] }, '1000,500')).not.toBe(base);
    expect(ReferenceHintCache.keyOf({ references: [a, b], firstFrame: img() }, '1000,750')).not.toBe(base);
  });

  it('recompute mode keeps the encoded context but recomputes hints every time', async () => {
    const cache = new ReferenceHintCache('recompute');
    const key = ReferenceHintCache.keyOf({ references: [img()] });
    let computes = 0;
    for (let i = 0; i < 3; i++) {
      await cache.context(key, async () => t(1));
      await cache.hints(key, 0, 1000, async () => t(++computes));
    }
    expect(cache.stats).toMatchObject({ contextBuilds: 1, hintComputes: 3, hintHits: 0 });
  });

  it('a failed context build is retried on the next chunk, and clear() forgets everything', async () => {
    const cache = new ReferenceHintCache();
    const key = ReferenceHintCache.keyOf({ references: [img()] });
    await expect(cache.context(key, async () => Promise.reject(new Error('corrupt image')))).rejects.toThrow('corrupt image');
    expect((await cache.context(key, async () => t(5))).data[0]).toBe(5);
    cache.clear();
    let built = false;
    await cache.context(key, async () => ((built = true), t(6)));
    expect(built).toBe(true);
  });
});
