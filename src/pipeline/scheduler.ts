/**
 * The shifted flow-matching schedule of the few-step causal generator (LongLive / Self-Forcing
 * `FlowMatchScheduler` with `set_timesteps(1000, training=True)`, and the wrapper's flow → x0
 * conversion). The table is reproduced bit for bit: upstream computes it in float32, and the
 * linspace it starts from is emulated exactly as torch's CPU kernel evaluates it (see
 * `torchLinspaceF32`).
 *
 * Latents are flat Float32Arrays, frame-major (`[F, C, H, W]` per chunk, or any layout whose
 * outermost axis is the frame); a timestep is given either once for all frames or per frame.
 */

const f32 = Math.fround;

export interface FlowMatchParams {
  /** Timestep shift (LongLive `timestep_shift`, 5.0). */
  readonly shift: number;
  readonly numTrainTimesteps: number;
  /** Table length before `extraOneStep` drops the last point (LongLive calls `set_timesteps(1000)`). */
  readonly numInferenceSteps: number;
  readonly sigmaMax: number;
  readonly sigmaMin: number;
  /** linspace over `numInferenceSteps + 1` points and drop the last one. */
  readonly extraOneStep: boolean;
  readonly inverseTimesteps: boolean;
  readonly reverseSigmas: boolean;
}

/** LongLive's defaults (model.yaml `timestep_shift: 5.0`, `FlowMatchScheduler(shift, sigma_min=0, extra_one_step=True)`). */
export const LONGLIVE_FLOW_MATCH: FlowMatchParams = {
  shift: 5.0,
  numTrainTimesteps: 1000,
  numInferenceSteps: 1000,
  sigmaMax: 1.0,
  sigmaMin: 0.0,
  extraOneStep: true,
  inverseTimesteps: false,
  reverseSigmas: false,
};

/** LongLive's `DEFAULT_DENOISING_STEP_LIST`. */
export const DEFAULT_DENOISING_STEPS: readonly number[] = [1000, 750, 500, 250];

/** Largest or smallest float32 next to `x` (x a float32), used to detect a rounding tie. */
function f32Neighbour(x: number, up: boolean): number {
  const buf = new Float32Array([x]);
  const bits = new Int32Array(buf.buffer);
  if (x === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  bits[0] += (x > 0) === up ? 1 : -1;
  return buf[0]!;
}

/**
 * Fused multiply-add rounded once to float32: round_f32(a·b + c) for float32 a, b, c.
 * a·b is exact in float64 (≤ 48 significant bits); the sum is exact as s + e (TwoSum), and
 * only when s sits exactly on a float32 rounding tie does e decide the direction.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bv = s - p;
  const e = p - (s - bv) + (c - bv);
  const r = f32(s);
  if (e === 0 || r === s) return r;
  const other = f32Neighbour(r, s > r);
  if (Math.abs(s - r) !== Math.abs(other - s)) return r;
  return (e > 0) === other > r ? other : r;
}

/**
 * `torch.linspace(start, end, steps)` in float32 as torch's CPU kernel computes it
 * (RangeFactoriesKernel `linspace_kernel` through `cpu_serial_kernel_vec`, AVX2: 8 float lanes,
 * 2 vectors per loop iteration, scalar tail). The first half counts up from `start`, the second
 * half down from `end`; each vector's base is `start + step·idx` (compiled as one FMA) and its
 * lanes are `base + k·step` (multiply, then add). Verified bit-exact against the `scheduler`
 * fixture's table; a naive `start + i·step` differs in ~140 of 1000 entries.
 */
export function torchLinspaceF32(start: number, end: number, steps: number): Float32Array {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`linspace: steps must be a positive integer, got ${steps}`);
  const out = new Float32Array(steps);
  const s0 = f32(start);
  const s1 = f32(end);
  if (steps === 1) {
    out[0] = s0;
    return out;
  }
  const step = f32((s1 - s0) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const valueAt = (idx: number): number => (idx < halfway ? fmaF32(step, f32(idx), s0) : fmaF32(-step, f32(steps - idx - 1), s1));
  const lanes = 8;
  const perIteration = 2 * lanes;
  let i = 0;
  for (; i + perIteration <= steps; i += perIteration) {
    for (let v = 0; v < 2; v++) {
      const idx = i + v * lanes;
      const base = valueAt(idx);
      for (let k = 0; k < lanes; k++) out[idx + k] = f32(base + f32(k * step));
    }
  }
  for (; i < steps; i++) out[i] = valueAt(i);
  return out;
}

export class FlowMatchScheduler {
  readonly params: FlowMatchParams;
  /** σ_k, float32. */
  readonly sigmas: Float32Array;
  /** 1000·σ_k (numTrainTimesteps·σ_k), float32. */
  readonly timesteps: Float32Array;

  constructor(params: Partial<FlowMatchParams> = {}) {
    const p = { ...LONGLIVE_FLOW_MATCH, ...params };
    for (const [key, value] of Object.entries(p)) {
      if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`FlowMatchScheduler: ${key} must be finite, got ${value}`);
    }
    if (!Number.isInteger(p.numInferenceSteps) || p.numInferenceSteps < 1) {
      throw new RangeError(`FlowMatchScheduler: numInferenceSteps must be a positive integer, got ${p.numInferenceSteps}`);
    }
    this.params = p;
    // denoising_strength = 1: sigma_start = sigma_min + (sigma_max − sigma_min)·1 (float64, like Python).
    const sigmaStart = p.sigmaMin + (p.sigmaMax - p.sigmaMin) * 1.0;
    let s = p.extraOneStep
      ? torchLinspaceF32(sigmaStart, p.sigmaMin, p.numInferenceSteps + 1).subarray(0, p.numInferenceSteps)
      : torchLinspaceF32(sigmaStart, p.sigmaMin, p.numInferenceSteps);
    if (p.inverseTimesteps) s = s.slice().reverse();
    const shift = f32(p.shift);
    const shiftMinusOne = f32(p.shift - 1);
    const sigmas = new Float32Array(s.length);
    for (let k = 0; k < s.length; k++) {
      // shift·s / (1 + (shift − 1)·s): three separate float32 tensor ops upstream.
      const num = f32(shift * s[k]!);
      const den = f32(1 + f32(shiftMinusOne * s[k]!));
      sigmas[k] = f32(num / den);
      if (p.reverseSigmas) sigmas[k] = f32(1 - sigmas[k]!);
    }
    const scale = f32(p.numTrainTimesteps);
    this.sigmas = sigmas;
    this.timesteps = sigmas.map((v) => f32(v * scale));
  }

  /**
   * Table index of a timestep: argmin_k |timestep_k − t|, the first minimum on ties.
   * `arithmetic` says in which precision the differences are formed: add_noise compares in
   * float32 (float table minus an int64 step), the flow → x0 conversion in float64.
   */
  index(t: number, arithmetic: 'float32' | 'float64' = 'float32'): number {
    if (!Number.isFinite(t)) throw new RangeError(`scheduler: timestep must be finite, got ${t}`);
    const tt = arithmetic === 'float32' ? f32(t) : t;
    let best = 0;
    let bestDiff = Infinity;
    for (let k = 0; k < this.timesteps.length; k++) {
      const diff = arithmetic === 'float32' ? Math.abs(f32(this.timesteps[k]! - tt)) : Math.abs(this.timesteps[k]! - tt);
      if (diff < bestDiff) {
        bestDiff = diff;
        best = k;
      }
    }
    return best;
  }

  /** σ for a (raw integer) step value t, via the table lookup. */
  sigma(t: number, arithmetic: 'float32' | 'float64' = 'float32'): number {
    return this.sigmas[this.index(t, arithmetic)]!;
  }

  /** x_t = (1 − σ)·x0 + σ·ε in float32, σ per frame. */
  addNoise(x0: Float32Array, eps: Float32Array, t: number | readonly number[], out = new Float32Array(x0.length)): Float32Array {
    assertSameLength('addNoise', { x0, eps, out });
    const perFrame = this.#perFrameSigmas('addNoise', t, x0.length, 'float32');
    const frameSize = x0.length / perFrame.length;
    for (let fIdx = 0; fIdx < perFrame.length; fIdx++) {
      const sigma = perFrame[fIdx]!;
      const keep = f32(1 - sigma);
      const end = (fIdx + 1) * frameSize;
      for (let i = fIdx * frameSize; i < end; i++) out[i] = f32(f32(keep * x0[i]!) + f32(sigma * eps[i]!));
    }
    return out;
  }

  /** x0 = x_t − σ·flow, evaluated in float64 and cast back to float32 (upstream `_convert_flow_pred_to_x0`), σ per frame. */
  x0FromFlow(flow: Float32Array, xt: Float32Array, t: number | readonly number[], out = new Float32Array(flow.length)): Float32Array {
    assertSameLength('x0FromFlow', { flow, xt, out });
    const perFrame = this.#perFrameSigmas('x0FromFlow', t, flow.length, 'float64');
    const frameSize = flow.length / perFrame.length;
    for (let fIdx = 0; fIdx < perFrame.length; fIdx++) {
      const sigma = perFrame[fIdx]!;
      const end = (fIdx + 1) * frameSize;
      for (let i = fIdx * frameSize; i < end; i++) out[i] = xt[i]! - sigma * flow[i]!;
    }
    return out;
  }

  #perFrameSigmas(op: string, t: number | readonly number[], length: number, arithmetic: 'float32' | 'float64'): number[] {
    const steps = typeof t === 'number' ? [t] : [...t];
    if (steps.length === 0) throw new RangeError(`${op}: at least one timestep is needed`);
    if (length % steps.length !== 0) {
      throw new RangeError(`${op}: ${length} latent values do not split into ${steps.length} frames (one timestep per frame)`);
    }
    return steps.map((s) => this.sigma(s, arithmetic));
  }
}

function assertSameLength(op: string, arrays: Record<string, Float32Array>): void {
  const entries = Object.entries(arrays);
  const [firstName, first] = entries[0]!;
  for (const [name, a] of entries) {
    if (a.length !== first.length) throw new RangeError(`${op}: ${name} has ${a.length} values, ${firstName} has ${first.length}`);
  }
}

/** Offset of upstream's first V2V step: int(1000·noise_scale) − V2V_FIRST_STEP_OFFSET. */
const V2V_FIRST_STEP_OFFSET = 100;

/**
 * The noise scales video-to-video mode takes. The first step int(1000·s) − 100 must be a
 * positive timestep, so s must exceed 0.1; 0.15 (first step 50) keeps a margin from the float
 * rounding right at 0.1 and is a notch of the client's 0.05 slider grid. Above 1 the input would
 * be noised beyond pure noise. The session schema takes noiseScale's range from here, so every
 * value it accepts gives a valid step list (regression: the schema once took (0, 1] and the
 * slider's 0.05 failed every chunk).
 */
export const V2V_NOISE_SCALE = { min: 0.15, max: 1 } as const;

/**
 * Why a denoising step list is unusable, or undefined when it is fine: it must be non-empty and
 * strictly decreasing (each step removes noise). The session schema checks step lists with this.
 */
export function stepListProblem(steps: readonly number[]): string | undefined {
  if (steps.length === 0) return 'the step list is empty';
  for (let i = 1; i < steps.length; i++) {
    if (!(steps[i]! < steps[i - 1]!)) return `step list [${steps.join(', ')}] is not strictly decreasing`;
  }
  return undefined;
}

/**
 * The step list of video-to-video mode. Upstream (scope DenoiseBlock) replaces steps[0] by
 * int(1000·noise_scale) − 100 and keeps the rest, so noise_scale 0.7 with [1000, 750, 500, 250]
 * gives [600, 750, 500, 250]: the second step ADDS noise back, a bug we do not copy. We keep the
 * list strictly decreasing instead: the first step becomes int(1000·noise_scale) − 100 and every
 * later step at or above it is dropped ([600, 500, 250] in that example). Always returns a new
 * list; the input list must itself be strictly decreasing and noise_scale in V2V_NOISE_SCALE.
 */
export function v2vSteps(steps: readonly number[], noiseScale: number): number[] {
  const problem = stepListProblem(steps);
  if (problem) throw new RangeError(`v2vSteps: ${problem}`);
  if (!Number.isFinite(noiseScale)) throw new RangeError(`v2vSteps: noise_scale must be a finite number, got ${noiseScale}`);
  const { min, max } = V2V_NOISE_SCALE;
  if (noiseScale < min || noiseScale > max) {
    throw new RangeError(`v2vSteps: noise_scale ${noiseScale} is outside [${min}, ${max}] (the first step int(1000·noise_scale) − ${V2V_FIRST_STEP_OFFSET} must be a positive timestep)`);
  }
  const first = Math.trunc(1000 * noiseScale) - V2V_FIRST_STEP_OFFSET;
  return [first, ...steps.slice(1).filter((s) => s < first)];
}
