/**
 * Loads a model preset by name: `demo` (generated) or `longlive-1.3b` (files from the weight
 * manager's models folder, laid out as the registry says).
 */
import { presetFilePath } from '../models/index.ts';
import type { LoadOptions, ModelBundle } from './bundle.ts';
import { loadDemoBundle } from './bundle.ts';
import { loadLongLiveBundle, type LongLiveFiles } from './longlive.ts';
import { dirname } from 'node:path';

export const PRESET_NAMES = ['demo', 'longlive-1.3b'] as const;

export function longLiveFiles(modelsDir: string): LongLiveFiles {
  const f = (role: string) => presetFilePath('longlive-1.3b', role, { modelsDir });
  return {
    generator: f('generator'),
    lora: f('generator-lora'),
    vace: f('vace'),
    tae: f('tae'),
    textEncoder: f('text-encoder'),
    tokenizer: dirname(f('tokenizer')),
  };
}

export async function loadPreset(name: string, opts: LoadOptions): Promise<ModelBundle> {
  switch (name) {
    case 'demo':
      return loadDemoBundle(opts);
    case 'longlive-1.3b':
      return loadLongLiveBundle(longLiveFiles(opts.modelsDir), opts);
    default:
      throw new Error(`unknown preset "${name}" (known: ${PRESET_NAMES.join(', ')})`);
  }
}
