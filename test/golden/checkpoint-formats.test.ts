/**
 * Every checkpoint file of the fixture, read through openCheckpoint + the automatic key map,
 * must return exactly the tensors of expected.safetensors under one of its prefixes
 * ("f32.", "bf16.", "f16.", "views."). Which prefix a file maps to is worked out from the keys:
 * the prefix under which every key of the file exists, and, where several do (the same state dict
 * stored as f32, bf16 and f16), the one named after the file's storage dtype.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { openCheckpoint, type Checkpoint } from '../../src/model/weights/checkpoint.ts';
import { mapCheckpoint } from '../../src/model/weights/keymap.ts';
import { SafetensorsFile } from '../../src/model/weights/safetensors.ts';
import { compareTensors, Fixture, itComparesEveryRecordedTensor, type Tolerance } from '../support/fixtures.ts';

const fx = new Fixture('checkpoint_formats');
const files = fx.manifest.files as Record<string, string> | undefined;
if (!files || Object.keys(files).length === 0) throw new Error(`${fx.name}/manifest.json lists no files`);
const EXPECTED = 'expected.safetensors';
if (!(EXPECTED in files)) throw new Error(`${fx.name}/manifest.json does not list ${EXPECTED}`);
const expected = new SafetensorsFile(fx.path(EXPECTED));

/** This manifest records one tolerance for all tensors, `{atol, rtol}`, at the top level. */
function manifestTolerance(): Tolerance {
  const t = fx.manifest.tolerance as unknown as Partial<Tolerance> | undefined;
  if (typeof t?.atol === 'number' && typeof t?.rtol === 'number') return { atol: t.atol, rtol: t.rtol };
  return fx.tolerance('*');
}
const tol = manifestTolerance();

/** expected.safetensors keys grouped by their first component. */
const byPrefix = new Map<string, Set<string>>();
for (const k of expected.keys()) {
  const dot = k.indexOf('.');
  const p = k.slice(0, dot);
  if (!byPrefix.has(p)) byPrefix.set(p, new Set());
  byPrefix.get(p)!.add(k.slice(dot + 1));
}

function prefixFor(file: string, ckpt: Checkpoint): string {
  const keys = ckpt.keys();
  const candidates = [...byPrefix].filter(([, set]) => keys.length > 0 && keys.every((k) => set.has(k))).map(([p]) => p);
  if (candidates.length === 1) return candidates[0]!;
  const dtypes = new Set(keys.map((k) => ckpt.dtype(k).toLowerCase()));
  const byDtype = candidates.filter((p) => dtypes.size === 1 && dtypes.has(p));
  if (byDtype.length !== 1) {
    throw new Error(`${file}: cannot tell which expected prefix it maps to (candidates: ${candidates.join(', ') || 'none'}; dtypes: ${[...dtypes].join(', ')})`);
  }
  return byDtype[0]!;
}

const opened: Checkpoint[] = [];
afterAll(() => {
  for (const c of opened) c.close();
  expected.close();
});

describe('checkpoint_formats', () => {
  for (const file of Object.keys(files).filter((f) => f !== EXPECTED)) {
    test(`${file} returns exactly expected.safetensors`, () => {
      const ckpt = mapCheckpoint(openCheckpoint(fx.path(file)));
      opened.push(ckpt);
      const prefix = prefixFor(file, ckpt);
      // The file must hold every tensor recorded under its prefix, and nothing else.
      expect(ckpt.keys().sort(), `${file}: keys vs ${prefix}.*`).toEqual([...byPrefix.get(prefix)!].sort());
      for (const key of ckpt.keys()) {
        const ref = expected.getF32(`${prefix}.${key}`);
        const got = ckpt.getF32(key);
        expect([...got.shape], `${file} > ${key}: shape`).toEqual([...ref.shape]);
        const m = compareTensors(got.data, ref.data, ref.shape, tol);
        fx.markCompared(`${prefix}.${key}`);
        if (m.failing > 0) {
          throw new Error(
            `${fx.name} > ${file} > ${key}: ${m.failing} of ${ref.data.length} elements outside atol=${tol.atol} rtol=${tol.rtol}; ` +
              `max |got-ref| = ${m.maxAbs.toExponential(3)} at [${m.at.join(', ')}] (got ${m.got}, ref ${m.ref})`,
          );
        }
      }
    });
  }
  // Every tensor of expected.safetensors must be returned by some checkpoint file.
  itComparesEveryRecordedTensor(fx, [], () => expected.keys());
});
