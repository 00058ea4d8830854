/**
 * Golden test of the flow-matching schedule against `scheduler/scheduler.json`: every table
 * value bit-exact (the fixture's sigma tolerance), every lookup, every worked example of
 * add_noise and flow → x0 with the fixture's example tolerance.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FlowMatchScheduler, DEFAULT_DENOISING_STEPS, type FlowMatchParams } from '../../src/pipeline/scheduler.ts';
import { Fixture, compareTensors, type Tolerance } from '../support/fixtures.ts';

interface SchedulerRecord {
  params: {
    num_train_timesteps: number;
    shift: number;
    sigma_max: number;
    sigma_min: number;
    extra_one_step: boolean;
    inverse_timesteps: boolean;
    reverse_sigmas: boolean;
    set_timesteps_num_inference_steps: number;
  };
  denoising_step_list: number[];
  lookups: { t: number; index: number; sigma_f32: number; table_timestep_f32: number }[];
  sigmas_f32: number[];
  timesteps_f32: number[];
  worked_examples: { t: number; x0: number[]; eps: number[]; add_noise_xt: number[]; flow: number[]; x0_from_flow_and_xt: number[] }[];
  tolerance: { sigma: number; note?: string; examples?: Tolerance; examples_atol?: number };
}

const fx = new Fixture('scheduler');
const files = fx.manifest.files as Record<string, { path: string }> | undefined;
const record = JSON.parse(readFileSync(fx.path(files?.data?.path ?? 'scheduler.json'), 'utf8')) as SchedulerRecord;

function exampleTolerance(tol: SchedulerRecord['tolerance']): Tolerance {
  if (tol.examples) return tol.examples;
  if (typeof tol.examples_atol === 'number') return { atol: tol.examples_atol, rtol: 0 };
  const m = /examples atol ([0-9.eE+-]+)/.exec(tol.note ?? '');
  if (!m) throw new Error(`scheduler fixture: no example tolerance in tolerance ${JSON.stringify(tol)}`);
  return { atol: Number(m[1]), rtol: 0 };
}

const params: FlowMatchParams = {
  shift: record.params.shift,
  numTrainTimesteps: record.params.num_train_timesteps,
  numInferenceSteps: record.params.set_timesteps_num_inference_steps,
  sigmaMax: record.params.sigma_max,
  sigmaMin: record.params.sigma_min,
  extraOneStep: record.params.extra_one_step,
  inverseTimesteps: record.params.inverse_timesteps,
  reverseSigmas: record.params.reverse_sigmas,
};
const sigmaTol: Tolerance = { atol: record.tolerance.sigma, rtol: 0 };
const exTol = exampleTolerance(record.tolerance);

function expectWithin(name: string, got: ArrayLike<number>, ref: readonly number[], tol: Tolerance): void {
  expect(got.length, `${name}: length`).toBe(ref.length);
  const m = compareTensors(got, ref, [ref.length], tol);
  if (m.failing > 0) {
    throw new Error(`scheduler/${name}: ${m.failing} of ${ref.length} values outside atol=${tol.atol} rtol=${tol.rtol}; max |got-ref| = ${m.maxAbs} at [${m.at.join(', ')}] (got ${m.got}, ref ${m.ref})`);
  }
}

describe('scheduler', () => {
  const scheduler = new FlowMatchScheduler(params);

  it('sigma table (every entry, float32 bit-exact)', () => {
    expectWithin('sigmas_f32', scheduler.sigmas, record.sigmas_f32, sigmaTol);
  });

  it('timestep table (every entry, float32 bit-exact)', () => {
    expectWithin('timesteps_f32', scheduler.timesteps, record.timesteps_f32, sigmaTol);
  });

  it('default denoising step list', () => {
    expect([...DEFAULT_DENOISING_STEPS]).toEqual(record.denoising_step_list);
  });

  for (const [i, lookup] of record.lookups.entries()) {
    it(`lookup ${i}: t=${lookup.t} → index ${lookup.index}`, () => {
      // add_noise compares in float32, the flow → x0 conversion in float64: both must agree with upstream.
      expect(scheduler.index(lookup.t, 'float32')).toBe(lookup.index);
      expect(scheduler.index(lookup.t, 'float64')).toBe(lookup.index);
      expectWithin(`lookups[${i}].sigma_f32`, [scheduler.sigma(lookup.t)], [lookup.sigma_f32], sigmaTol);
      expectWithin(`lookups[${i}].table_timestep_f32`, [scheduler.timesteps[scheduler.index(lookup.t)]!], [lookup.table_timestep_f32], sigmaTol);
    });
  }

  for (const [i, ex] of record.worked_examples.entries()) {
    it(`worked example ${i} (t=${ex.t}): add_noise`, () => {
      const got = scheduler.addNoise(Float32Array.from(ex.x0), Float32Array.from(ex.eps), ex.t);
      expectWithin(`worked_examples[${i}].add_noise_xt`, got, ex.add_noise_xt, exTol);
    });

    it(`worked example ${i} (t=${ex.t}): x0 from flow and x_t`, () => {
      const got = scheduler.x0FromFlow(Float32Array.from(ex.flow), Float32Array.from(ex.add_noise_xt), ex.t);
      expectWithin(`worked_examples[${i}].x0_from_flow_and_xt`, got, ex.x0_from_flow_and_xt, exTol);
    });
  }

  it('per-frame timesteps: each frame uses its own sigma (all worked examples as one multi-frame latent)', () => {
    const n = record.worked_examples[0]!.x0.length;
    const cat = (key: 'x0' | 'eps' | 'add_noise_xt' | 'flow' | 'x0_from_flow_and_xt') => Float32Array.from(record.worked_examples.flatMap((e) => e[key]));
    const ts = record.worked_examples.map((e) => e.t);
    expect(record.worked_examples.every((e) => e.x0.length === n)).toBe(true);
    expectWithin('per-frame add_noise', scheduler.addNoise(cat('x0'), cat('eps'), ts), [...cat('add_noise_xt')], exTol);
    expectWithin('per-frame x0_from_flow', scheduler.x0FromFlow(cat('flow'), cat('add_noise_xt'), ts), [...cat('x0_from_flow_and_xt')], exTol);
  });
});
