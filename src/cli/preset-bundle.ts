/**
 * Loads the model preset serve and render run on. Only `demo` can be loaded today; the real
 * `longlive-1.3b` weights can be downloaded but their loader is not written yet, which is said
 * plainly instead of failing somewhere inside the loader.
 */
import { getPreset } from '../models/index.ts';
import type { Device } from '../model/runtime/session.ts';
import { loadDemoBundle, type ModelBundle } from '../presets/bundle.ts';
import { CliError } from './io.ts';

export interface PresetLoadOptions {
  preset: string;
  modelsDir: string;
  device: Device;
  threads?: number;
  log: (msg: string) => void;
}

export async function loadPresetBundle(o: PresetLoadOptions): Promise<ModelBundle> {
  try {
    getPreset(o.preset);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  if (o.preset !== 'demo') {
    throw new CliError(
      `preset "${o.preset}": loading real weights is not implemented yet (only the demo preset runs today). ` +
        `\`vace-live models download ${o.preset}\` already fetches its files into ${o.modelsDir}; use --preset demo meanwhile`,
    );
  }
  o.log('preset demo: the full pipeline at miniature size with RANDOM weights — the output is abstract moving texture, not a picture of the prompt');
  const t0 = performance.now();
  const bundle = await loadDemoBundle({ modelsDir: o.modelsDir, device: o.device, threads: o.threads, log: o.log });
  o.log(`loaded ${bundle.description} on ${bundle.device} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${bundle.width}×${bundle.height})`);
  return bundle;
}
