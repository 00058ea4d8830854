/**
 * Loads the model preset serve and render run on: `demo` (generated random weights) or
 * `longlive-1.3b` (the real checkpoints, from `vace-live models download longlive-1.3b`).
 * A preset whose files are missing says which command fetches them.
 */
import { getPreset, presetStatus } from '../models/index.ts';
import type { Device } from '../model/runtime/session.ts';
import type { ModelBundle } from '../presets/bundle.ts';
import { loadPreset } from '../presets/load.ts';
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
  if (o.preset === 'demo') {
    o.log('preset demo: the full pipeline at miniature size with RANDOM weights — the output is abstract moving texture, not a picture of the prompt');
  } else {
    const status = await presetStatus(o.preset, { modelsDir: o.modelsDir });
    const missing = status.files.filter((f) => f.state === 'missing' || f.state === 'partial');
    if (missing.length) {
      throw new CliError(`preset "${o.preset}": ${missing.length} file(s) missing in ${o.modelsDir} (${missing.map((f) => f.role).join(', ')}); run \`vace-live models download ${o.preset}\``);
    }
  }
  const t0 = performance.now();
  let bundle: ModelBundle;
  try {
    bundle = await loadPreset(o.preset, { modelsDir: o.modelsDir, device: o.device, threads: o.threads, log: o.log });
  } catch (e) {
    throw new CliError(`preset "${o.preset}" could not be loaded: ${(e as Error).message.split('\n')[0]}`);
  }
  o.log(`loaded ${bundle.description} on ${bundle.device} in ${((performance.now() - t0) / 1000).toFixed(1)} s (${bundle.width}×${bundle.height})`);
  return bundle;
}
