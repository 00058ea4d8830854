import { describe, expect, it } from 'vitest';
import { depthRange, normaliseDepth, type DepthRange } from '../../../../src/model/depth/postprocess.ts';
import { DepthRangeStabiliser } from '../../../../src/model/depth/range-stabiliser.ts';

/** A deterministic uniform generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A static scene seen as 4-frame depth calls: a fixed background ramp, a per-call scale drift of the
 * network output (relative depth has no fixed scale) and a near object (a hand) that is in some calls
 * and not others. The middle pixel is background throughout, so its normalised value should stay put.
 */
function syntheticCalls(calls: number, pixels: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const out: Float32Array[] = [];
  for (let c = 0; c < calls; c++) {
    const scale = 0.95 + 0.1 * r();
    const hand = r() < 0.5;
    const d = new Float32Array(4 * pixels);
    for (let f = 0; f < 4; f++) {
      for (let p = 0; p < pixels; p++) {
        let v = 1 + (2 * p) / pixels; // background 1 … 3
        if (hand && p > pixels * 0.8) v = 6; // the near object raises the call's max
        d[f * pixels + p] = scale * v + 0.01 * (r() - 0.5);
      }
    }
    out.push(d);
  }
  return out;
}

interface Jumps {
  /** Mean chunk-to-chunk change of the normalisation range, relative to its span. */
  range: number;
  /** Mean chunk-to-chunk change of a background pixel's normalised value. */
  background: number;
}

function measure(calls: Float32Array[], pick: (observed: DepthRange) => DepthRange): Jumps {
  let prev: { range: DepthRange; bg: number } | undefined;
  let range = 0;
  let background = 0;
  for (const d of calls) {
    const r = pick(depthRange(d));
    const bg = normaliseDepth(d, r)[d.length >> 3]!; // frame 0, middle of the background ramp
    if (prev) {
      const span = prev.range.max - prev.range.min;
      range += (Math.abs(r.min - prev.range.min) + Math.abs(r.max - prev.range.max)) / span;
      background += Math.abs(bg - prev.bg);
    }
    prev = { range: r, bg };
  }
  return { range: range / (calls.length - 1), background: background / (calls.length - 1) };
}

describe('depth range stabiliser', () => {
  it('the first call uses its own range; later calls move the held range by (1 − smoothing)', () => {
    const s = new DepthRangeStabiliser({ smoothing: 0.75 });
    expect(s.update({ min: 0, max: 4 })).toEqual({ min: 0, max: 4 });
    expect(s.update({ min: 4, max: 8 })).toEqual({ min: 1, max: 5 });
    s.reset();
    expect(s.update({ min: 2, max: 3 })).toEqual({ min: 2, max: 3 });
  });

  it('rejects a smoothing outside [0, 1)', () => {
    expect(() => new DepthRangeStabiliser({ smoothing: 1 })).toThrow(/smoothing/);
  });

  it('cuts the chunk-to-chunk range jump compared with upstream per-call normalisation', () => {
    const calls = syntheticCalls(40, 500, 7);
    const upstream = measure(calls, (r) => r);
    const stab = new DepthRangeStabiliser();
    const ours = measure(calls, (r) => stab.update(r));
    // Both figures are measured on the same sequence; print them for the closing note.
    console.log(`depth range jump per chunk: upstream ${upstream.range.toFixed(4)} (background pixel ${upstream.background.toFixed(4)}), ` +
      `EMA ${ours.range.toFixed(4)} (background pixel ${ours.background.toFixed(4)}), ratio ${(ours.range / upstream.range).toFixed(3)}`);
    expect(upstream.range).toBeGreaterThan(0.05); // the sequence really flickers upstream
    expect(ours.range).toBeLessThan(upstream.range * 0.5);
    expect(ours.background).toBeLessThan(upstream.background * 0.5);
  });

  it('smoothing 0 reproduces upstream exactly', () => {
    const calls = syntheticCalls(10, 100, 3);
    const stab = new DepthRangeStabiliser({ smoothing: 0 });
    expect(measure(calls, (r) => stab.update(r))).toEqual(measure(calls, (r) => r));
  });
});
