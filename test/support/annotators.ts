/** Helpers shared by the depth and scribble golden suites. */
import type { RgbFrames } from '../../src/frames.ts';
import type { Fixture, Tolerance } from './fixtures.ts';

/**
 * The manifest's tolerance for `key`, a per-key entry's missing atol/rtol taken from the default
 * (the annotator manifests give per-key overrides with only atol).
 */
export function mergedTolerance(fx: Fixture, key: string): Tolerance {
  const def = fx.manifest.tolerance?.default;
  const own = (fx.manifest.tensors?.[key]?.tolerance ?? fx.manifest.tolerance?.per_key?.[key]) as Partial<Tolerance> | undefined;
  const atol = own?.atol ?? def?.atol;
  const rtol = own?.rtol ?? def?.rtol;
  if (atol === undefined || rtol === undefined) throw new Error(`fixture ${fx.name}: no complete tolerance for "${key}"`);
  return { atol, rtol };
}

/** A recorded uint8 T,H,W,3 tensor as RGB frames. */
export function u8Frames(fx: Fixture, key: string): RgbFrames {
  const t = fx.io.get(key);
  if (t.shape.length !== 4 || t.shape[3] !== 3) throw new Error(`${fx.name}/${key}: expected T,H,W,3, got [${t.shape.join(', ')}]`);
  const [count, height, width] = t.shape as [number, number, number, number];
  return { count, height, width, data: Uint8Array.from(t.data as BigInt64Array, Number) };
}
