import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HUB_URL, hubBaseUrl, hubToken, resolveUrl } from '../../../src/models/hub.ts';
import { getPreset, listPresets, loadRegistry, parseRegistry, presetKnownBytes } from '../../../src/models/registry.ts';

const realFile = {
  role: 'w',
  repo: 'o/r',
  revision: 'main',
  path: 'w.pth',
  local: 'r/w.pth',
  size: null,
  sha256: null,
  format: 'x',
  sources: ['somewhere'],
};
const wrap = (file: Record<string, unknown>) => ({
  version: 1,
  presets: { p: { kind: 'download', title: 'P', description: 'd', files: [file] } },
});

describe('model registry', () => {
  it('loads the shipped registry with the demo and longlive-1.3b presets', () => {
    const names = listPresets(loadRegistry()).map((p) => p.name);
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

  it('rejects a malformed sha256, naming the field', () => {
    expect(() => parseRegistry(wrap({ ...realFile, sha256: 'ABC' }), 'reg.json')).toThrow(/reg\.json: invalid model registry: presets\.p\.files\.0\.sha256: must be 64 lowercase hex/);
  });

  it('rejects local paths that leave the models directory', () => {
    expect(() => parseRegistry(wrap({ ...realFile, local: '../etc/passwd' }))).toThrow(/presets\.p\.files\.0\.local/);
    expect(() => parseRegistry(wrap({ ...realFile, local: '/abs/w.pth' }))).toThrow(/presets\.p\.files\.0\.local/);
  });

  it('rejects a size or hash without a source', () => {
    expect(() => parseRegistry(wrap({ ...realFile, sources: [] }))).toThrow(/sources/);
  });

  it('rejects files on a generated preset', () => {
    const bad = { version: 1, presets: { g: { kind: 'generated', title: 'G', description: 'd', files: [realFile] } } };
    expect(() => parseRegistry(bad)).toThrow(/presets\.g\.files: a generated preset downloads nothing/);
  });
});

describe('hub URLs', () => {
  const saved = process.env.VACE_HUB_URL;
  const savedToken = process.env.HF_TOKEN;
  afterEach(() => {
    if (saved === undefined) delete process.env.VACE_HUB_URL;
    else process.env.VACE_HUB_URL = saved;
    if (savedToken === undefined) delete process.env.HF_TOKEN;
    else process.env.HF_TOKEN = savedToken;
  });

  it('builds ${hub}/${repo}/resolve/${revision}/${file}', () => {
    expect(resolveUrl('https://hub.example/', 'o/r', 'main', 'models/a b.pt')).toBe('https://hub.example/o/r/resolve/main/models/a%20b.pt');
  });

  it('defaults to huggingface.co and follows VACE_HUB_URL, option first', () => {
    delete process.env.VACE_HUB_URL;
    expect(hubBaseUrl()).toBe(DEFAULT_HUB_URL);
    process.env.VACE_HUB_URL = 'http://mirror.local:8080/';
    expect(hubBaseUrl()).toBe('http://mirror.local:8080');
    expect(hubBaseUrl('http://other')).toBe('http://other');
  });

  it('explains a bad hub URL and where it came from', () => {
    process.env.VACE_HUB_URL = 'not a url';
    expect(() => hubBaseUrl()).toThrow(/hub URL "not a url" is not a valid URL \(set by VACE_HUB_URL\)/);
    expect(() => hubBaseUrl('ftp://x')).toThrow(/must be http/);
  });

  it('sends HF_TOKEN to the Hugging Face hub only', () => {
    process.env.HF_TOKEN = 'secret';
    expect(hubToken('https://huggingface.co')).toBe('secret');
    expect(hubToken('http://127.0.0.1:9')).toBeUndefined();
    expect(hubToken('http://127.0.0.1:9', 'explicit')).toBe('explicit');
  });
});
