/**
 * From a real checkpoint's key names to our graph's parameter names, and validation of a
 * checkpoint against the parameters a model expects (name → shape).
 *
 * Real files wrap the same Wan state dict differently: LongLive saves
 * `{"generator": {"model.<key>": …}, "step": n}` (flattened by the readers to
 * "generator.model.<key>"), DataParallel adds "module.", torch.compile adds "_orig_mod.".
 * A key map is a list of rules applied in order.
 */
import { FLOAT_CHECKPOINT_DTYPES, type Checkpoint, type CheckpointDType, type CheckpointFormat } from './checkpoint.ts';
import type { F32Tensor, Tensor } from '../tensor.ts';

export type KeyRule =
  /** Keep only the keys under this prefix, without it (e.g. one sub-dict of a training checkpoint). */
  | { readonly select: string }
  /** Remove this prefix from the keys that have it; other keys pass unchanged. */
  | { readonly strip: string }
  /** Rewrite keys matching a pattern (String.replace semantics). */
  | { readonly rename: RegExp; readonly to: string };

/** LongLive / Self-Forcing training checkpoints: the generator's weights under "generator.model.". */
export const LONGLIVE_GENERATOR_RULES: readonly KeyRule[] = [{ select: 'generator.' }, { strip: 'model.' }];

/** Wrapper prefixes that, when every key has them, carry no meaning for the model. */
const WRAPPER_PREFIXES = ['state_dict.', 'model.', 'module.', '_orig_mod.'];

export function describeKeyRules(rules: readonly KeyRule[]): string {
  if (rules.length === 0) return 'none';
  return rules
    .map((r) => ('select' in r ? `select "${r.select}"` : 'strip' in r ? `strip "${r.strip}"` : `rename ${String(r.rename)} → "${r.to}"`))
    .join(', ');
}

/** The mapped name of a source key, or undefined when a `select` rule drops it. */
export function applyKeyRules(key: string, rules: readonly KeyRule[]): string | undefined {
  let k = key;
  for (const r of rules) {
    if ('select' in r) {
      if (!k.startsWith(r.select)) return undefined;
      k = k.slice(r.select.length);
    } else if ('strip' in r) {
      if (k.startsWith(r.strip)) k = k.slice(r.strip.length);
    } else {
      k = k.replace(r.rename, r.to);
    }
  }
  return k;
}

/**
 * Rules guessed from the keys: select a LongLive-style "generator" sub-dict when there is one,
 * then strip wrapper prefixes that every remaining key shares.
 */
export function autoKeyRules(keys: readonly string[]): KeyRule[] {
  const rules: KeyRule[] = [];
  let ks = [...keys];
  if (ks.some((k) => k.startsWith('generator.'))) {
    rules.push({ select: 'generator.' });
    ks = ks.filter((k) => k.startsWith('generator.')).map((k) => k.slice('generator.'.length));
  }
  for (let changed = true; changed && ks.length > 0; ) {
    changed = false;
    for (const p of WRAPPER_PREFIXES) {
      if (ks.every((k) => k.startsWith(p))) {
        rules.push({ strip: p });
        ks = ks.map((k) => k.slice(p.length));
        changed = true;
      }
    }
  }
  return rules;
}

/** A checkpoint seen through a key map: the same tensors under the model's names. */
export class MappedCheckpoint implements Checkpoint {
  readonly path: string;
  readonly format: CheckpointFormat;
  readonly rules: readonly KeyRule[];
  readonly #inner: Checkpoint;
  readonly #source = new Map<string, string>();

  constructor(inner: Checkpoint, rules: readonly KeyRule[]) {
    this.#inner = inner;
    this.path = inner.path;
    this.format = inner.format;
    this.rules = rules;
    for (const src of inner.keys()) {
      const k = applyKeyRules(src, rules);
      if (k === undefined) continue;
      const other = this.#source.get(k);
      if (other !== undefined) {
        throw new Error(`${this.path}: keys "${other}" and "${src}" both map to "${k}" under the key map (${describeKeyRules(rules)})`);
      }
      this.#source.set(k, src);
    }
  }

  /** The key as stored in the file. */
  sourceKey(key: string): string {
    const s = this.#source.get(key);
    if (s === undefined) throw new Error(`${this.path}: no tensor named "${key}" (key map: ${describeKeyRules(this.rules)})`);
    return s;
  }

  keys(): string[] {
    return [...this.#source.keys()];
  }
  has(key: string): boolean {
    return this.#source.has(key);
  }
  shape(key: string): readonly number[] {
    return this.#inner.shape(this.sourceKey(key));
  }
  dtype(key: string): CheckpointDType {
    return this.#inner.dtype(this.sourceKey(key));
  }
  getF32(key: string): F32Tensor {
    return this.#inner.getF32(this.sourceKey(key));
  }
  get(key: string): Tensor {
    return this.#inner.get(this.sourceKey(key));
  }
  close(): void {
    this.#inner.close();
  }
}

/** Applies a key map; without one, the rules are guessed from the keys (`autoKeyRules`). */
export function mapCheckpoint(ckpt: Checkpoint, rules: readonly KeyRule[] = autoKeyRules(ckpt.keys())): MappedCheckpoint {
  return new MappedCheckpoint(ckpt, rules);
}

/** The parameters a model expects: name → shape. */
export type ParamSpec = ReadonlyMap<string, readonly number[]> | Readonly<Record<string, readonly number[]>>;

function specEntries(spec: ParamSpec): [string, readonly number[]][] {
  return spec instanceof Map ? [...spec.entries()] : Object.entries(spec as Record<string, readonly number[]>);
}

export interface CheckpointProblem {
  readonly key: string;
  readonly kind: 'missing' | 'shape' | 'dtype' | 'unexpected';
  readonly message: string;
}

export class CheckpointMismatchError extends Error {
  readonly path: string;
  readonly problems: readonly CheckpointProblem[];

  constructor(path: string, problems: readonly CheckpointProblem[]) {
    const shown = problems.slice(0, 20).map((p) => `  - ${p.message}`);
    if (problems.length > shown.length) shown.push(`  … and ${problems.length - shown.length} more`);
    super(`${path}: checkpoint does not match the model (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${shown.join('\n')}`);
    this.path = path;
    this.problems = problems;
  }
}

export interface ValidateOptions {
  /** Whether keys the model does not use are allowed (default true: checkpoints often carry extras). */
  readonly allowUnexpected?: boolean;
  /** Element types accepted for the parameters (default: the floating types). */
  readonly dtypes?: readonly CheckpointDType[];
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Every mismatch between a checkpoint and a model's parameters; messages name the file and key. */
export function checkCheckpoint(ckpt: Checkpoint, spec: ParamSpec, opts: ValidateOptions = {}): CheckpointProblem[] {
  const dtypes = opts.dtypes ?? FLOAT_CHECKPOINT_DTYPES;
  const mapped = ckpt instanceof MappedCheckpoint ? ckpt : undefined;
  const stored = (k: string): string => (mapped && mapped.sourceKey(k) !== k ? ` (stored as "${mapped.sourceKey(k)}")` : '');
  const problems: CheckpointProblem[] = [];
  const expected = specEntries(spec);
  for (const [key, shape] of expected) {
    if (!ckpt.has(key)) {
      const how = mapped ? ` after key map (${describeKeyRules(mapped.rules)})` : '';
      problems.push({ key, kind: 'missing', message: `${ckpt.path}: missing key "${key}"${how}; the model expects shape ${fmt(shape)}` });
      continue;
    }
    const got = ckpt.shape(key);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      problems.push({ key, kind: 'shape', message: `${ckpt.path}: key "${key}"${stored(key)} has shape ${fmt(got)} but the model expects ${fmt(shape)}` });
    }
    const dt = ckpt.dtype(key);
    if (!dtypes.includes(dt)) {
      problems.push({ key, kind: 'dtype', message: `${ckpt.path}: key "${key}"${stored(key)} has unsupported dtype ${dt}; expected one of ${dtypes.join(', ')}` });
    }
  }
  if (opts.allowUnexpected === false) {
    const wanted = new Set(expected.map(([k]) => k));
    for (const key of ckpt.keys()) {
      if (!wanted.has(key)) problems.push({ key, kind: 'unexpected', message: `${ckpt.path}: key "${key}"${stored(key)} is not a parameter of the model` });
    }
  }
  return problems;
}

/** Throws a CheckpointMismatchError listing every problem. */
export function validateCheckpoint(ckpt: Checkpoint, spec: ParamSpec, opts: ValidateOptions = {}): void {
  const problems = checkCheckpoint(ckpt, spec, opts);
  if (problems.length > 0) throw new CheckpointMismatchError(ckpt.path, problems);
}

/** Validates, then reads every parameter the model expects as float32. */
export function loadParams(ckpt: Checkpoint, spec: ParamSpec, opts: ValidateOptions = {}): Map<string, F32Tensor> {
  validateCheckpoint(ckpt, spec, opts);
  const out = new Map<string, F32Tensor>();
  for (const [key] of specEntries(spec)) out.set(key, ckpt.getF32(key));
  return out;
}
