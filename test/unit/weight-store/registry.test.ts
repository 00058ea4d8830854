import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_HUB_URL, hubBaseUrl, hubToken, resolveUrl } from '../../../src/weight-store/hub.ts';
import { parseRegistry } from '../../../src/weight-store/registry.ts';

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

describe('preset file manifest schema', () => {
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
