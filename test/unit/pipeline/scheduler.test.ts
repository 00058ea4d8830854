import { describe, expect, it } from 'vitest';
import { FlowMatchScheduler, fmaF32, torchLinspaceF32, v2vSteps, DEFAULT_DENOISING_STEPS, V2V_NOISE_SCALE } from '../../../src/pipeline/scheduler.ts';

describe('v2vSteps', () => {
  it('replaces the first step by int(1000·noise_scale) − 100', () => {
    expect(v2vSteps([1000, 750, 500, 250], 1.0)).toEqual([900, 750, 500, 250]);
  });

  it('drops later steps at or above the new first step (regression: upstream gives [600, 750, 500, 250])', () => {
    expect(v2vSteps([1000, 750, 500, 250], 0.7)).toEqual([600, 500, 250]);
  });

  it('drops a later step equal to the new first step', () => {
    expect(v2vSteps([1000, 750, 500, 250], 0.85)).toEqual([750, 500, 250]);
  });

  it('truncates like Python int() (0.35 → 250, so only that step remains)', () => {
    expect(v2vSteps([1000, 750, 500, 250], 0.35)).toEqual([250]);
  });

  it('returns a strictly decreasing list of positive steps for every noise scale in its declared range', () => {
    const { min, max } = V2V_NOISE_SCALE;
    for (let k = 0; k <= 100; k++) {
      const steps = v2vSteps(DEFAULT_DENOISING_STEPS, min + ((max - min) * k) / 100);
      expect(steps[0]!).toBeGreaterThan(0);
      for (let i = 1; i < steps.length; i++) expect(steps[i]!).toBeLessThan(steps[i - 1]!);
    }
  });

  it('does not modify the input list', () => {
    const steps = [1000, 750, 500, 250];
    v2vSteps(steps, 0.5);
    expect(steps).toEqual([1000, 750, 500, 250]);
  });

  it('rejects a noise scale whose first step is not positive', () => {
    expect(() => v2vSteps([1000, 750], 0.1)).toThrow(/noise_scale 0.1 is outside \[0.15, 1\]/);
    expect(() => v2vSteps([1000, 750], 0.05)).toThrow(/noise_scale 0.05/);
    expect(() => v2vSteps([1000, 750], 1.05)).toThrow(/noise_scale 1.05/);
    expect(() => v2vSteps([1000, 750], Number.NaN)).toThrow(/finite/);
  });

  it('rejects an input list that is not strictly decreasing', () => {
    expect(() => v2vSteps([1000, 1000, 500], 0.5)).toThrow(/strictly decreasing/);
    expect(() => v2vSteps([], 0.5)).toThrow(/empty/);
  });
});

describe('fmaF32', () => {
  it('rounds once: differs from separately rounded multiply-add where the product is inexact in float32', () => {
    const a = Math.fround(1 + 2 ** -23);
    // a·a = 1 + 2^-22 + 2^-46: fused keeps the 2^-46 term's effect on rounding of the sum with −1.
    expect(fmaF32(a, a, -1)).toBe(Math.fround(2 ** -22 + 2 ** -46));
    expect(Math.fround(Math.fround(a * a) - 1)).toBe(2 ** -22);
  });

  it('breaks an exact float64 tie with the TwoSum error term', () => {
    // 1 + 2^-24 is a float32 tie (rounds to even = 1); a tiny positive remainder must round up.
    expect(fmaF32(1, 1 + 2 ** -24, 2 ** -80)).toBe(Math.fround(1 + 2 ** -23));
    expect(fmaF32(1, 1 + 2 ** -24, 0)).toBe(1);
  });
});

describe('torchLinspaceF32', () => {
  it('hits both end points exactly and decreases monotonically', () => {
    const v = torchLinspaceF32(1, 0, 1001);
    expect(v[0]).toBe(1);
    expect(v[1000]).toBe(0);
    for (let i = 1; i < v.length; i++) expect(v[i]!).toBeLessThan(v[i - 1]!);
    // Vector lanes accumulate base + k·step with two roundings, so the midpoint is not exactly 0.5
    // (torch gives 0.49999994 too); the golden scheduler table checks the exact values.
    expect(Math.abs(v[500]! - 0.5)).toBeLessThan(1e-6);
  });

  it('handles a single point and rejects a bad count', () => {
    expect([...torchLinspaceF32(3, 5, 1)]).toEqual([3]);
    expect(() => torchLinspaceF32(0, 1, 0)).toThrow(/positive integer/);
  });
});

describe('FlowMatchScheduler', () => {
  const s = new FlowMatchScheduler();

  it('shifted table starts at σ = 1 and decreases monotonically', () => {
    expect(s.sigmas[0]).toBe(1);
    for (let k = 1; k < s.sigmas.length; k++) expect(s.sigmas[k]!).toBeLessThan(s.sigmas[k - 1]!);
    expect(s.sigmas.length).toBe(1000);
  });

  it('a different shift gives a different table (shift is a parameter)', () => {
    const s3 = new FlowMatchScheduler({ shift: 3 });
    expect(s3.sigma(500)).not.toBe(s.sigma(500));
    expect(Math.abs(s3.sigma(500) - 0.5)).toBeLessThan(1e-2);
  });

  it('lookup takes the first minimum on ties', () => {
    // timesteps 1000·σ; t exactly midway between two entries must pick the lower index.
    const k = 600;
    const mid = (s.timesteps[k]! + s.timesteps[k + 1]!) / 2;
    // The float32 neighbours' midpoint is exact in float64, so both distances are equal there.
    expect(Math.abs(s.timesteps[k]! - mid)).toBe(Math.abs(s.timesteps[k + 1]! - mid));
    expect(s.index(mid, 'float64')).toBe(k);
  });

  it('addNoise applies a per-frame sigma to contiguous frame blocks', () => {
    const x0 = Float32Array.from([1, 1, 1, 1]);
    const eps = Float32Array.from([0, 0, 0, 0]);
    const out = s.addNoise(x0, eps, [1000, 0]);
    expect([...out.subarray(0, 2)]).toEqual([0, 0]);
    expect(out[2]).toBe(Math.fround(1 - s.sigma(0)));
    expect(out[3]).toBe(out[2]);
  });

  it('x0FromFlow inverts addNoise for flow = ε − x0', () => {
    const x0 = Float32Array.from([0.5, -2, 3]);
    const eps = Float32Array.from([1, 0.25, -1]);
    const xt = s.addNoise(x0, eps, 500);
    const flow = eps.map((e, i) => e - x0[i]!);
    const back = s.x0FromFlow(flow, xt, 500);
    for (let i = 0; i < 3; i++) expect(back[i]!).toBeCloseTo(x0[i]!, 5);
  });

  it('rejects mismatched lengths and frame counts with a clear message', () => {
    expect(() => s.addNoise(new Float32Array(4), new Float32Array(3), 500)).toThrow(/eps has 3 values, x0 has 4/);
    expect(() => s.addNoise(new Float32Array(4), new Float32Array(4), [1, 2, 3])).toThrow(/do not split into 3 frames/);
    expect(() => s.index(Number.NaN)).toThrow(/finite/);
    expect(() => new FlowMatchScheduler({ numInferenceSteps: 0 })).toThrow(/numInferenceSteps/);
  });
});
