/**
 * Golden-fixture access shared by every golden suite: the fixture root comes from
 * $VACE_FIXTURES (default ../shared/fixtures), each folder's manifest.json gives configs and
 * tolerances, io.safetensors gives inputs and expected outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect, it, type TestContext } from 'vitest';
import { SafetensorsFile } from '../../src/model/weights/safetensors.ts';
import type { Tensor } from '../../src/model/tensor.ts';
import { FP16_RELATIVE_BOUND, goldenDtype } from './golden-device.ts';

export const FIXTURE_ROOT = resolve(process.env.VACE_FIXTURES ?? join(import.meta.dirname, '../../../shared/fixtures'));

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface Manifest {
  name: string;
  config?: Record<string, unknown>;
  tensors?: Record<string, { shape: number[]; dtype: string; meaning?: string; tolerance?: Tolerance }>;
  tolerance?: { default?: Tolerance; per_key?: Record<string, Tolerance> };
  [key: string]: unknown;
}

export class Fixture {
  readonly name: string;
  readonly dir: string;
  readonly manifest: Manifest;
  #io: SafetensorsFile | undefined;
  #ioView: SafetensorsFile | undefined;
  /** Recorded tensors this suite has read (inputs and references alike). */
  readonly #read = new Set<string>();
  /** Recorded tensors this suite has compared with a result of ours. */
  readonly #compared = new Set<string>();
  /** The largest relative RMS error of an fp16 comparison so far (reported under VACE_DTYPE=fp16). */
  worstRelative: { key: string; value: number } | undefined;

  constructor(name: string) {
    this.name = name;
    this.dir = join(FIXTURE_ROOT, name);
    const manifestPath = join(this.dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      // Never skip: a missing fixture is a failure with a clear message.
      throw new Error(`fixture "${name}" not found: ${manifestPath} does not exist (VACE_FIXTURES=${FIXTURE_ROOT})`);
    }
    this.manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  /** The recorded tensors; every tensor read through it is noted for `expectEveryTensorUsed`. */
  get io(): SafetensorsFile {
    this.#io ??= new SafetensorsFile(this.path(((this.manifest.files as Record<string, { path: string }> | undefined)?.io?.path) ?? 'io.safetensors'));
    this.#ioView ??= recordingView(this.#io, this.#read);
    return this.#ioView;
  }

  /** Notes that `key` was compared with a result of ours (expectClose does it; call it after a custom comparison). */
  markCompared(key: string): void {
    this.#compared.add(key);
  }

  /**
   * Fails unless every tensor the fixture records was compared by this suite, except the
   * suite's inputs, which must then have been read. Driven by the recorded names, so a fixture
   * root that records more (another layer count, another case) fails until the suite checks it.
   */
  expectEveryTensorUsed(inputs: readonly RegExp[], names: readonly string[] = this.tensorNames(/./)): void {
    const isInput = (k: string) => inputs.some((r) => r.test(k));
    const notCompared = names.filter((k) => !isInput(k) && !this.#compared.has(k));
    const inputsNotRead = names.filter((k) => isInput(k) && !this.#read.has(k) && !this.#compared.has(k));
    expect(notCompared, `${this.name}: recorded tensors no test compared`).toEqual([]);
    expect(inputsNotRead, `${this.name}: recorded inputs no test read`).toEqual([]);
  }

  weightsPath(): string {
    const files = this.manifest.files as Record<string, { path: string }> | undefined;
    return this.path(files?.weights?.path ?? (this.manifest.weights_file as string | undefined) ?? 'weights.safetensors');
  }

  tolerance(key: string): Tolerance {
    const t = this.manifest.tensors?.[key]?.tolerance ?? this.manifest.tolerance?.per_key?.[key] ?? this.manifest.tolerance?.default;
    if (!t || typeof t.atol !== 'number') throw new Error(`fixture ${this.name}: no tolerance recorded for "${key}"`);
    // Some manifests record only atol for a key: rtol then falls back to the default's, else 0.
    return { atol: t.atol, rtol: t.rtol ?? this.manifest.tolerance?.default?.rtol ?? 0 };
  }

  /** Names of the recorded tensors matching a pattern, in manifest order. */
  tensorNames(pattern: RegExp): string[] {
    const fromManifest = Object.keys(this.manifest.tensors ?? {});
    const names = fromManifest.length > 0 ? fromManifest : this.io.keys();
    return names.filter((n) => pattern.test(n));
  }
}

export interface Mismatch {
  maxAbs: number;
  at: number[];
  got: number;
  ref: number;
  failing: number;
}

function unravel(index: number, shape: readonly number[]): number[] {
  const at = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    at[d] = index % shape[d]!;
    index = Math.floor(index / shape[d]!);
  }
  return at;
}

/** Element-wise |got − ref| ≤ atol + rtol·|ref|; returns the worst error and where it is. */
export function compareTensors(got: ArrayLike<number>, ref: ArrayLike<number>, shape: readonly number[], tol: Tolerance): Mismatch {
  let maxAbs = 0;
  let worst = 0;
  let failing = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = ref[i]!;
    const g = got[i]!;
    const d = Math.abs(g - r);
    if (!(d <= tol.atol + tol.rtol * Math.abs(r))) failing++;
    if (d > maxAbs || Number.isNaN(d)) {
      maxAbs = Number.isNaN(d) ? Infinity : d;
      worst = i;
    }
  }
  return { maxAbs, at: unravel(worst, shape), got: got[worst]!, ref: ref[worst]!, failing };
}

/** Exact records (atol = rtol = 0) are discrete facts — indices, sizes, bit-exact host maths — that no precision changes. */
function isExact(tol: Tolerance): boolean {
  return tol.atol === 0 && tol.rtol === 0;
}

/** ‖got − ref‖₂ / ‖ref‖₂ (NaN anywhere gives NaN; an all-zero reference gives the absolute norm). */
export function relativeRms(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let err = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    err += (got[i]! - ref[i]!) ** 2;
    norm += ref[i]! ** 2;
  }
  return norm > 0 ? Math.sqrt(err / norm) : Math.sqrt(err);
}

/** Whether this comparison uses the fp16 bound (VACE_DTYPE=fp16 and a tolerance that is not exact). */
function usesFp16Bound(tol: Tolerance): boolean {
  return goldenDtype() === 'fp16' && !isExact(tol);
}

/**
 * Asserts `got` matches reference data: element-wise within `tol` under fp32; under
 * VACE_DTYPE=fp16 (and a tolerance that is not exact) ‖got − ref‖₂ ≤ FP16_RELATIVE_BOUND · ‖ref‖₂.
 * `label` names the record in the failure message.
 */
export function expectCloseData(fx: Fixture, key: string, label: string, got: ArrayLike<number>, ref: ArrayLike<number>, shape: readonly number[], tol: Tolerance): void {
  const m = compareTensors(got, ref, shape, tol);
  if (usesFp16Bound(tol)) {
    const rms = relativeRms(got, ref);
    if (!fx.worstRelative || !(rms <= fx.worstRelative.value)) fx.worstRelative = { key, value: rms };
    if (!(rms <= FP16_RELATIVE_BOUND)) {
      throw new Error(
        `${label}: fp16 relative RMS error ${rms.toExponential(3)} exceeds ${FP16_RELATIVE_BOUND}; ` +
          `max |got-ref| = ${m.maxAbs.toExponential(3)} at [${m.at.join(', ')}] (got ${m.got}, ref ${m.ref})`,
      );
    }
    return;
  }
  if (m.failing > 0) {
    throw new Error(
      `${label}: ${m.failing} of ${ref.length} elements outside atol=${tol.atol} rtol=${tol.rtol}; ` +
        `max |got-ref| = ${m.maxAbs.toExponential(3)} at [${m.at.join(', ')}] (got ${m.got}, ref ${m.ref})`,
    );
  }
}

/** Asserts a tensor matches the fixture's record `key` within its tolerance (see expectCloseData); the failure message names the tensor, max error and its location. */
export function expectClose(fx: Fixture, key: string, got: Tensor | { shape: readonly number[]; data: ArrayLike<number> }, tol = fx.tolerance(key)): void {
  const ref = fx.io.get(key);
  fx.markCompared(key);
  expect([...got.shape], `${fx.name}/${key}: shape`).toEqual([...ref.shape]);
  const gotData = got.data instanceof BigInt64Array ? Array.from(got.data, Number) : (got.data as ArrayLike<number>);
  const refData = ref.data instanceof BigInt64Array ? Array.from(ref.data, Number) : (ref.data as Float32Array);
  expectCloseData(fx, key, `${fx.name}/${key}`, gotData, refData, ref.shape, tol);
}

/** A view of `file` whose tensor reads add the tensor's name to `read`. */
function recordingView(file: SafetensorsFile, read: Set<string>): SafetensorsFile {
  const reads = new Set<PropertyKey>(['get', 'getF32', 'entry']);
  return new Proxy(file, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (!reads.has(prop)) return value.bind(target);
      return (name: string, ...rest: unknown[]) => {
        read.add(name);
        return (value as (...a: unknown[]) => unknown).call(target, name, ...rest);
      };
    },
  });
}

function testsOf(task: { type: string; mode?: string; tasks?: unknown[] }): { mode?: string }[] {
  if (task.type === 'test') return [task];
  return (task.tasks ?? []).flatMap((t) => testsOf(t as typeof task));
}

/**
 * Registers the suite's last test: every recorded tensor compared (see Fixture.expectEveryTensorUsed).
 * Call it at the end of the fixture's describe block, after every other test. It can only judge a
 * whole run: when a name filter left some of the file's tests out, it fails and says so.
 */
export function itComparesEveryRecordedTensor(fx: Fixture, inputs: readonly RegExp[], names?: () => readonly string[]): void {
  it(`every recorded tensor is compared (inputs: ${inputs.map((r) => r.source).join(', ')})`, (ctx: TestContext) => {
    const filtered = testsOf(ctx.task.file as never).filter((t) => t !== (ctx.task as unknown) && t.mode === 'skip').length;
    if (filtered > 0) {
      throw new Error(`${fx.name}: ${filtered} of this file's tests were filtered out, so coverage cannot be judged; run the whole suite (-t '^${fx.name}')`);
    }
    fx.expectEveryTensorUsed(inputs, names?.());
    if (goldenDtype() === 'fp16' && fx.worstRelative) {
      console.info(`${fx.name}: worst fp16 relative RMS error ${fx.worstRelative.value.toExponential(2)} (${fx.worstRelative.key}; bound ${FP16_RELATIVE_BOUND})`);
    }
  });
}
