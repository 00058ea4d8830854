/** The preset catalogue: the shipped presets, their loaders and graph configs, and a catalogue file's checks. */
import { describe, expect, it } from 'vitest';
import { catalogueEntry, getPreset, listPresets, parseCatalogue, presetNames, presetWanConfig } from '../../../src/presets/catalog.ts';
import { WAN_1_3B } from '../../../src/model/wan/config.ts';
import { presetKnownBytes } from '../../../src/weight-store/registry.ts';

describe('preset catalogue', () => {
  it('lists the shipped presets, demo and longlive-1.3b, each with its loader', () => {
    const names = listPresets().map((p) => p.name);
    expect(names).toContain('demo');
    expect(names).toContain('longlive-1.3b');
  });

  it('marks demo as generated locally with nothing to download', () => {
    const demo = getPreset('demo');
    expect(demo.kind).toBe('generated');
    expect(demo.files).toEqual([]);
    expect(demo.description).toMatch(/abstract/);
  });

  it('lists every component of the real longlive-1.3b pipeline with hub file names', () => {
    const p = getPreset('longlive-1.3b');
    const byRole = Object.fromEntries(p.files.map((f) => [f.role, f]));
    for (const role of ['generator', 'generator-lora', 'vace', 'tae', 'text-encoder', 'tokenizer', 'depth', 'scribble']) {
      expect(byRole[role], role).toBeDefined();
    }
    expect(byRole.vace!.path).toBe('Wan2_1-VACE_module_1_3B_bf16.safetensors');
    expect(byRole.tae!.path).toBe('taew2_1.pth');
    expect(byRole.generator!.path).toBe('models/longlive_base.pt');
    expect(byRole['generator-lora']!.path).toBe('models/lora.pt');
    expect(byRole.depth!.path).toBe('video_depth_anything_vits.pth');
    expect(byRole.scribble!.path).toBe('scribble/anime_style/netG_A_latest.pth');
    expect(byRole.tokenizer!.path).toBe('google/umt5-xxl/tokenizer.json');
  });

  it('cites a hub listing for every recorded sha256 or size', () => {
    for (const f of getPreset('longlive-1.3b').files) {
      if (f.sha256 === null && f.size === null) continue;
      // The citation must be a hub page that shows the LFS details (SHA256 / pointer size).
      expect(f.sources.some((s) => s.startsWith('https://huggingface.co/') && /sha256|SHA256|size/i.test(s)), f.local).toBe(true);
    }
  });

  it('sums known sizes and counts the unknown ones', () => {
    const p = getPreset('longlive-1.3b');
    const { bytes, unknownSizes } = presetKnownBytes(p);
    expect(bytes).toBe(p.files.reduce((s, f) => s + (f.size ?? 0), 0));
    expect(unknownSizes).toBe(p.files.filter((f) => f.size === null).length);
  });

  it('names the unknown preset and the known ones', () => {
    expect(() => getPreset('nope')).toThrow(/unknown model preset "nope" \(known presets: .*demo.*longlive-1\.3b/);
  });


  it('gives the graph command each preset\'s DiT config and latent chunk', () => {
    expect(presetWanConfig('longlive-1.3b')).toEqual({ config: WAN_1_3B, latent: { frames: 3, height: 40, width: 72 } });
    const demo = presetWanConfig('demo');
    expect(demo.config.dim).toBeLessThan(WAN_1_3B.dim);
    expect(demo.latent.frames).toBe(3);
    expect(presetNames()).toEqual(listPresets().map((p) => p.name));
    expect(catalogueEntry('demo').preset).toBe(getPreset('demo'));
  });

  it('refuses an entry without a known loader, and keeps the loader out of the file manifest', () => {
    const file = { version: 1, presets: { x: { loader: 'nope', kind: 'generated', title: 'X', description: 'd', files: [] } } };
    expect(() => parseCatalogue(file, 'cat.json')).toThrow(/cat\.json: invalid preset catalogue: presets\.x\.loader/);
    expect(() => parseCatalogue({ ...file, presets: { x: { ...file.presets.x, loader: undefined } } }, 'cat.json')).toThrow(/presets\.x\.loader/);
    const [entry] = parseCatalogue({ ...file, presets: { x: { ...file.presets.x, loader: 'demo' } } }, 'cat.json');
    expect(entry!.preset).toEqual({ name: 'x', kind: 'generated', title: 'X', description: 'd', files: [] });
    expect(entry!.loader).toBe(catalogueEntry('demo').loader);
  });
});
