import { describe, expect, it } from 'vitest';
import { PromptCache } from '../../../cache/prompt-cache.ts';
import { f32, type F32Tensor } from '../../../src/model/tensor.ts';

/** An embedding of `floats` float32 values (4 bytes each). */
const emb = (floats: number, fill = 0): F32Tensor => f32([floats], new Float32Array(floats).fill(fill));

describe('PromptCache', () => {
  it('evicts least-recently-used entries until the new one fits in maxBytes', () => {
    const cache = new PromptCache({ maxBytes: 100 });
    expect(cache.set('a', emb(10))).toBe(true); // 40 B
    expect(cache.set('b', emb(10))).toBe(true); // 80 B
    expect(cache.bytes).toBe(80);
    cache.get('a'); // a is now the most recent; b is the oldest
    expect(cache.set('c', emb(5))).toBe(true); // 100 B: fits exactly, nothing evicted
    expect(cache.keys()).toEqual(['b', 'a', 'c']);
    expect(cache.set('d', emb(10))).toBe(true); // 140 B > 100: drop b (→ 100 B)
    expect(cache.keys()).toEqual(['a', 'c', 'd']);
    expect(cache.bytes).toBe(100);
    expect(cache.evictions).toBe(1);
    expect(cache.set('e', emb(20))).toBe(true); // 80 B new: drop a, c, d (all 100 B) → 80 B
    expect(cache.keys()).toEqual(['e']);
    expect(cache.bytes).toBe(80);
    expect(cache.evictions).toBe(4);
  });

  it('refuses a single value larger than maxBytes without evicting anything', () => {
    const cache = new PromptCache({ maxBytes: 40 });
    cache.set('a', emb(10));
    expect(cache.set('huge', emb(11))).toBe(false);
    expect(cache.keys()).toEqual(['a']);
    expect(cache.bytes).toBe(40);
  });

  it('replacing a key frees its old bytes first', () => {
    const cache = new PromptCache({ maxBytes: 80 });
    cache.set('a', emb(10));
    cache.set('b', emb(10));
    cache.set('a', emb(5, 1));
    expect(cache.bytes).toBe(60);
    expect(cache.keys()).toEqual(['b', 'a']);
    expect(cache.get('a')!.data[0]).toBe(1);
  });

  it('keys entries by the cleaned prompt text', () => {
    const cache = new PromptCache({ maxBytes: 1000 });
    const v = emb(4);
    cache.set('  a   cat\n', v);
    expect(cache.get('a cat')).toBe(v);
    expect(cache.has('a\u00a0cat')).toBe(true);
    expect(cache.keys()).toEqual(['a cat']);
    expect(cache.delete(' a cat ')).toBe(true);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
  });

  it('getOrCompute runs one encode for concurrent callers and caches the result', async () => {
    const cache = new PromptCache({ maxBytes: 1000 });
    let calls = 0;
    const seen: string[] = [];
    const compute = async (cleaned: string) => {
      calls++;
      seen.push(cleaned);
      await new Promise((r) => setTimeout(r, 5));
      return emb(4, 7);
    };
    const [x, y] = await Promise.all([cache.getOrCompute('a  cat', compute), cache.getOrCompute('a cat ', compute)]);
    expect(calls).toBe(1);
    expect(seen).toEqual(['a cat']);
    expect(x).toBe(y);
    await cache.getOrCompute('a cat', compute);
    expect(calls).toBe(1);
  });

  it('getOrCompute does not cache a failed encode', async () => {
    const cache = new PromptCache({ maxBytes: 1000 });
    await expect(cache.getOrCompute('p', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(cache.size).toBe(0);
    await expect(cache.getOrCompute('p', async () => emb(1))).resolves.toBeDefined();
    expect(cache.size).toBe(1);
  });

  it('rejects a negative byte bound', () => {
    expect(() => new PromptCache({ maxBytes: -1 })).toThrow(/maxBytes/);
  });
});
