/**
 * Loading a preset by name for serve and render: checks that its files are on disk (naming the
 * command that fetches them), warns that the demo's weights are random, loads it and logs how
 * long that took. Every failure is a PresetLoadError with one line a person can act on.
 */
import type { Device, ModelDtype } from '../model/runtime/session.ts';
import type { Umt5WeightFormat } from '../model/text/param-spec.ts';
import { presetStatus } from '../weight-store/index.ts';
import type { ModelBundle } from './bundle.ts';
import { catalogueEntry } from './catalog.ts';

export class PresetLoadError extends Error {
  override readonly name = 'PresetLoadError';
}

export interface PresetLoadOptions {
  preset: string;
  modelsDir: string;
  device: Device;
  /** Default fp32. */
  dtype?: ModelDtype;
  threads?: number;
  /** The text encoder's weights; the preset's default when absent. */
  textWeights?: Umt5WeightFormat;
  log: (msg: string) => void;
}

export async function loadPreset(o: PresetLoadOptions): Promise<ModelBundle> {
  let entry;
  try {
    entry = catalogueEntry(o.preset);
  } catch (e) {
    throw new PresetLoadError((e as Error).message);
  }
  if (entry.preset.kind === 'generated') {
    o.log(`preset ${o.preset}: the full pipeline at miniature size with RANDOM weights — the output is abstract moving texture, not a picture of the prompt`);
  } else {
    const status = await presetStatus(entry.preset, { modelsDir: o.modelsDir });
    const missing = status.files.filter((f) => f.state === 'missing' || f.state === 'partial');
    if (missing.length) {
      throw new PresetLoadError(`preset "${o.preset}": ${missing.length} file(s) missing in ${o.modelsDir} (${missing.map((f) => f.role).join(', ')}); run \`vace-live models download ${o.preset}\``);
    }
  }
  const t0 = performance.now();
  let bundle: ModelBundle;
  try {
    bundle = await entry.loader.load(entry.preset, { modelsDir: o.modelsDir, device: o.device, dtype: o.dtype, threads: o.threads, textWeights: o.textWeights, log: o.log });
  } catch (e) {
    throw new PresetLoadError(`preset "${o.preset}" could not be loaded: ${(e as Error).message.split('\n')[0]}`);
  }
  o.log(`loaded ${bundle.description} on ${bundle.device} (${bundle.dtype}) in ${((performance.now() - t0) / 1000).toFixed(1)} s (${bundle.width}×${bundle.height})`);
  return bundle;
}
