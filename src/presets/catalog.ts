/**
 * The preset catalogue: the one place that says which model presets exist. Each preset is an
 * entry of registry.json beside this file (title, description, the files the weight store
 * downloads for it, and which loader builds it); the loaders below are the code behind those
 * names. A new preset of an existing kind is a new registry.json entry; a new kind of model is a
 * new loader here.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { WanConfig } from '../model/wan/config.ts';
import { parseRegistry, presetFilePath, type Preset } from '../weight-store/index.ts';
import { loadDemoBundle, type LoadOptions, type ModelBundle } from './bundle.ts';
import { demoConfig } from './demo.ts';
import { LONGLIVE_1_3B, loadLongLiveBundle, type LongLiveFiles } from './longlive.ts';

const CATALOGUE_PATH = fileURLToPath(new URL('./registry.json', import.meta.url));

export interface LatentChunk {
  frames: number;
  height: number;
  width: number;
}

/** What a loader builds: the generator bundle, and the DiT config the `graph` command dumps. */
interface PresetLoader {
  load(preset: Preset, opts: LoadOptions): Promise<ModelBundle>;
  config(): { wan: WanConfig; latent: LatentChunk };
}

const LOADERS = {
  demo: {
    load: (_preset, opts) => loadDemoBundle(opts),
    config: () => demoConfig(),
  },
  longlive: {
    load: (preset, opts) => loadLongLiveBundle(longLiveFiles(preset, opts.modelsDir), opts),
    config: () => LONGLIVE_1_3B,
  },
} satisfies Record<string, PresetLoader>;

type LoaderName = keyof typeof LOADERS;

export interface CatalogueEntry {
  /** The file manifest the weight store works from. */
  readonly preset: Preset;
  readonly loader: PresetLoader;
}

const entrySchema = z.object({ loader: z.enum(Object.keys(LOADERS) as [LoaderName, ...LoaderName[]]) }).passthrough();

/** Reads a catalogue file: every entry names its loader; the rest is a weight-store manifest. */
export function parseCatalogue(data: unknown, source: string): CatalogueEntry[] {
  const raw = z.object({ presets: z.record(z.string(), entrySchema) }).passthrough().safeParse(data);
  if (!raw.success) throw new Error(`${source}: invalid preset catalogue: ${raw.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  const loaders = new Map(Object.entries(raw.data.presets).map(([name, e]) => [name, LOADERS[e.loader]]));
  const manifests = Object.fromEntries(Object.entries(raw.data.presets).map(([name, { loader: _loader, ...manifest }]) => [name, manifest]));
  return parseRegistry({ ...raw.data, presets: manifests }, source).presets.map((preset) => ({ preset, loader: loaders.get(preset.name)! }));
}

let catalogue: CatalogueEntry[] | undefined;
function entries(): CatalogueEntry[] {
  catalogue ??= parseCatalogue(JSON.parse(readFileSync(CATALOGUE_PATH, 'utf8')), CATALOGUE_PATH);
  return catalogue;
}

export function listPresets(): Preset[] {
  return entries().map((e) => e.preset);
}

export function presetNames(): string[] {
  return listPresets().map((p) => p.name);
}

export function catalogueEntry(name: string): CatalogueEntry {
  const entry = entries().find((e) => e.preset.name === name);
  if (!entry) throw new Error(`unknown model preset "${name}" (known presets: ${presetNames().join(', ')})`);
  return entry;
}

export function getPreset(name: string): Preset {
  return catalogueEntry(name).preset;
}

/** The DiT config and default latent chunk of a preset (what `vace-live graph --preset` builds). */
export function presetWanConfig(name: string): { config: WanConfig; latent: LatentChunk } {
  const { wan, latent } = catalogueEntry(name).loader.config();
  return { config: wan, latent };
}

/** Where the weight store keeps a LongLive-kind preset's files, by the roles its manifest names. */
export function longLiveFiles(preset: Preset, modelsDir: string): LongLiveFiles {
  const f = (role: string) => presetFilePath(preset, role, { modelsDir });
  return {
    generator: f('generator'),
    lora: f('generator-lora'),
    vace: f('vace'),
    tae: f('tae'),
    textEncoder: f('text-encoder'),
    tokenizer: dirname(f('tokenizer')),
  };
}
