import { describe, expect, it } from 'vitest';
import { PromptTransition, type RecacheRequest } from '../../../src/pipeline/prompt-transition.ts';
import { f32, type F32Tensor } from '../../../src/model/tensor.ts';

// One token, two features: old prompt (1, 0), new prompt (0, 1) (equal norms, so linear blends are easy to write down).
const OLD = f32([1, 2], [1, 0]);
const NEW = f32([1, 2], [0, 1]);
const OTHER = f32([1, 2], [-1, 0]);
const vec = (t: F32Tensor) => Array.from(t.data);

/** linear blend with norm preservation of (1,0) and (0,1) at α: ((1−α), α) rescaled to norm 1. */
function linearAt(alpha: number): number[] {
  const n = Math.hypot(1 - alpha, alpha);
  return [(1 - alpha) / n, alpha / n];
}

describe('PromptTransition', () => {
  it('keeps the initial prompt without transition or recache', () => {
    const tr = new PromptTransition(OLD, 'old');
    for (let i = 0; i < 3; i++) {
      const c = tr.next();
      expect(c.embedding).toBe(OLD);
      expect(c.recache).toBeUndefined();
    }
  });

  it('moves old → new over 4 chunks by default (α = ¼, ½, ¾, 1) and asks for one recache, before the α = 1 chunk', () => {
    const tr = new PromptTransition(OLD, 'old');
    const seen: RecacheRequest[] = [];
    tr.onRecache((r) => seen.push(r));
    expect(tr.setTarget(NEW, 'new')).toBe(true);
    const chunks = Array.from({ length: 6 }, () => tr.next());
    expect(chunks.map((c) => c.alpha)).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    [0.25, 0.5, 0.75].forEach((a, i) => vec(chunks[i]!.embedding).forEach((v, k) => expect(v).toBeCloseTo(linearAt(a)[k]!, 6)));
    expect(chunks[3]!.embedding).toBe(NEW);
    expect(chunks[4]!.embedding).toBe(NEW);
    expect(chunks.map((c) => c.recache !== undefined)).toEqual([false, false, false, true, false, false]);
    expect(chunks[3]!.recache!.embedding).toBe(NEW);
    expect(chunks[3]!.recache!.promptKey).toBe('new');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBe(chunks[3]!.recache);
    expect(tr.transitioning).toBe(false);
  });

  it('chunks = 1 is an instant switch with the recache on that chunk', () => {
    const tr = new PromptTransition(OLD, 'old', { chunks: 1 });
    tr.setTarget(NEW, 'new');
    const c = tr.next();
    expect(c.embedding).toBe(NEW);
    expect(c.recache?.embedding).toBe(NEW);
  });

  it('reads the interpolation option: slerp at α = ½ of 90° is 45°, and at ⅓ is 30°', () => {
    const tr = new PromptTransition(OLD, 'old', { chunks: 3, interpolation: 'slerp' });
    tr.setTarget(NEW, 'new');
    const first = vec(tr.next().embedding);
    expect(first[0]).toBeCloseTo(Math.cos(Math.PI / 6), 6);
    expect(first[1]).toBeCloseTo(Math.sin(Math.PI / 6), 6);
    // Per-transition override: linear over 2 chunks.
    const tr2 = new PromptTransition(OLD, 'old', { interpolation: 'slerp' });
    tr2.setTarget(NEW, 'new', { chunks: 2, interpolation: 'linear' });
    vec(tr2.next().embedding).forEach((v, k) => expect(v).toBeCloseTo(linearAt(0.5)[k]!, 6));
  });

  it('ignores a prompt that is already the target', () => {
    const tr = new PromptTransition(OLD, 'old');
    expect(tr.setTarget(OLD, 'old')).toBe(false);
    tr.setTarget(NEW, 'new');
    tr.next();
    expect(tr.setTarget(NEW, 'new')).toBe(false);
    expect(tr.next().alpha).toBe(0.5);
  });

  it('a prompt arriving mid-transition restarts from the last chunk’s conditioning; only the finished transition recaches', () => {
    const tr = new PromptTransition(OLD, 'old', { chunks: 2 });
    const seen: RecacheRequest[] = [];
    tr.onRecache((r) => seen.push(r));
    tr.setTarget(NEW, 'new');
    const half = tr.next(); // α = ½ towards NEW
    tr.setTarget(OTHER, 'other');
    const c1 = tr.next(); // ½ of the way from `half` to OTHER
    const want = [0.5 * half.embedding.data[0]! + 0.5 * -1, 0.5 * half.embedding.data[1]!];
    const norm = Math.hypot(...want);
    vec(c1.embedding).forEach((v, k) => expect(v).toBeCloseTo((want[k]! / norm) * 1, 6));
    expect(c1.recache).toBeUndefined();
    const c2 = tr.next();
    expect(c2.embedding).toBe(OTHER);
    expect(seen.map((r) => r.promptKey)).toEqual(['other']);
    expect(c2.transitionId).toBe(2);
  });

  it('an observer that throws does not stop the recache request reaching the generator', () => {
    const tr = new PromptTransition(OLD, 'old', { chunks: 1 });
    tr.onRecache(() => {
      throw new Error('observer bug');
    });
    tr.setTarget(NEW, 'new');
    expect(tr.next().recache).toBeDefined();
  });

  it('rejects a bad chunk count and mismatched embeddings with clear errors', () => {
    expect(() => new PromptTransition(OLD, 'old', { chunks: 0 })).toThrow(/chunks must be an integer ≥ 1, got 0/);
    const tr = new PromptTransition(OLD, 'old');
    expect(() => tr.setTarget(f32([2, 2]), 'x')).toThrow(/do not match/);
  });
});
