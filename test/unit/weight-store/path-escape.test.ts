/**
 * Nothing the weight store reads, writes or downloads lands outside the models folder: not by a
 * '..' or absolute path, not by a URL-encoded one, not through a symbolic link, and no hub path
 * walks the download URL to another place on the hub.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containedPath, PathEscapeError } from '../../../src/weight-store/contained-path.ts';
import { resolveUrl } from '../../../src/weight-store/hub.ts';
import { downloadPreset, presetFilePath, presetStatus, removePreset } from '../../../src/weight-store/manager.ts';
import { parseRegistry, type Preset } from '../../../src/weight-store/registry.ts';
import { startHubServer, type HubServer } from '../../support/hub-server.ts';
import { buildPreset, generatedBytes } from '../../support/weight-store.ts';

let base: string;
let modelsDir: string;
let outside: string;
let hub: HubServer | undefined;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'vace-escape-'));
  modelsDir = join(base, 'models');
  outside = join(base, 'outside');
  mkdirSync(modelsDir);
  mkdirSync(outside);
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  rmSync(base, { recursive: true, force: true });
});

const data = generatedBytes(5000, 7);

/** A one-file preset whose file lives at `local` under the models folder. */
function presetAt(local: string): { preset: Preset; served: ReturnType<typeof buildPreset>['served'] } {
  const { preset, served } = buildPreset('p', [{ role: 'w', path: 'w.bin', data }]);
  return { preset: { ...preset, files: [{ ...preset.files[0]!, local }] }, served };
}

describe('containedPath', () => {
  it('keeps a plain relative path, refuses ".." and absolute paths', () => {
    expect(containedPath(modelsDir, 'a/b.bin')).toBe(join(modelsDir, 'a', 'b.bin'));
    for (const bad of ['../x.bin', 'a/../../x.bin', '/etc/passwd', join(outside, 'x.bin'), '..', '.']) {
      expect(() => containedPath(modelsDir, bad), bad).toThrow(PathEscapeError);
    }
  });

  it('takes URL-encoded traversal literally: %2e%2e is a folder name, not a way out', () => {
    expect(containedPath(modelsDir, '%2e%2e/x.bin')).toBe(join(modelsDir, '%2e%2e', 'x.bin'));
    expect(containedPath(modelsDir, '..%2fx.bin')).toBe(join(modelsDir, '..%2fx.bin'));
  });

  it('refuses a symlinked folder, file, dangling link or .part sibling that leads outside', () => {
    symlinkSync(outside, join(modelsDir, 'linked-dir'));
    expect(() => containedPath(modelsDir, 'linked-dir/x.bin')).toThrow(/symbolic link/);
    writeFileSync(join(outside, 'target.bin'), 'x');
    symlinkSync(join(outside, 'target.bin'), join(modelsDir, 'file.bin'));
    expect(() => containedPath(modelsDir, 'file.bin')).toThrow(/symbolic link/);
    // Opening a dangling link for writing would create its target.
    symlinkSync(join(outside, 'not-yet.bin'), join(modelsDir, 'dangling.bin'));
    expect(() => containedPath(modelsDir, 'dangling.bin')).toThrow(/symbolic link/);
    symlinkSync(join(outside, 'w.part'), join(modelsDir, 'w.bin.part'));
    expect(() => containedPath(modelsDir, 'w.bin', ['.part'])).toThrow(/symbolic link/);
    expect(containedPath(modelsDir, 'w.bin')).toBe(join(modelsDir, 'w.bin'));
  });

  it('accepts links that stay inside, and a models folder that is itself a link', () => {
    mkdirSync(join(modelsDir, 'real'));
    symlinkSync(join(modelsDir, 'real'), join(modelsDir, 'alias'));
    expect(containedPath(modelsDir, 'alias/x.bin')).toBe(join(modelsDir, 'alias', 'x.bin'));
    symlinkSync(modelsDir, join(base, 'models-link'));
    expect(containedPath(join(base, 'models-link'), 'real/x.bin')).toBe(join(base, 'models-link', 'real', 'x.bin'));
  });
});

describe('the weight store refuses files outside the models folder', () => {
  it('does not download through a symlinked folder: nothing is written outside', async () => {
    symlinkSync(outside, join(modelsDir, 'test-repo'));
    const { preset, served } = presetAt('test-repo/w.bin');
    hub = await startHubServer(served);
    await expect(downloadPreset(preset, { modelsDir, hubUrl: hub.url })).rejects.toThrow(/outside the models directory/);
    expect(hub.requests).toEqual([]);
    expect(existsSync(join(outside, 'w.bin'))).toBe(false);
    expect(existsSync(join(outside, 'w.bin.part'))).toBe(false);
  });

  it('does not resume into a .part link that leads outside', async () => {
    mkdirSync(join(modelsDir, 'test-repo'));
    writeFileSync(join(outside, 'victim'), 'keep me');
    symlinkSync(join(outside, 'victim'), join(modelsDir, 'test-repo', 'w.bin.part'));
    const { preset, served } = presetAt('test-repo/w.bin');
    hub = await startHubServer(served);
    await expect(downloadPreset(preset, { modelsDir, hubUrl: hub.url })).rejects.toThrow(/symbolic link/);
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('keep me');
  });

  it('neither reports on, loads from nor removes a linked file outside', async () => {
    writeFileSync(join(outside, 'w.bin'), data);
    mkdirSync(join(modelsDir, 'test-repo'));
    symlinkSync(join(outside, 'w.bin'), join(modelsDir, 'test-repo', 'w.bin'));
    const { preset } = presetAt('test-repo/w.bin');
    await expect(presetStatus(preset, modelsDir)).rejects.toThrow(PathEscapeError);
    expect(() => presetFilePath(preset, 'w', { modelsDir })).toThrow(PathEscapeError);
    await expect(removePreset(preset, { modelsDir, presets: [preset] })).rejects.toThrow(PathEscapeError);
    expect(existsSync(join(outside, 'w.bin'))).toBe(true);
  });

  it('still refuses a traversing local path handed to it without the registry schema', async () => {
    for (const local of ['../outside/w.bin', join(outside, 'w.bin')]) {
      const { preset, served } = presetAt(local);
      hub = await startHubServer(served);
      await expect(downloadPreset(preset, { modelsDir, hubUrl: hub.url }), local).rejects.toThrow(/outside the models directory/);
      expect(hub.requests).toEqual([]);
      await hub.close();
      hub = undefined;
    }
    expect(existsSync(join(outside, 'w.bin'))).toBe(false);
  });
});

describe('hub paths stay where the registry says', () => {
  const file = { role: 'w', repo: 'o/r', revision: 'main', path: 'w.pth', local: 'r/w.pth', size: null, sha256: null, format: 'x', sources: ['s'] };
  const wrap = (f: Record<string, unknown>) => ({ version: 1, presets: { p: { kind: 'download', title: 'P', description: 'd', files: [f] } } });

  it('the registry schema refuses dot segments and absolute paths in path and revision, and backslashes in local', () => {
    for (const path of ['../../other/repo/w.pth', 'a/./w.pth', '/w.pth', 'a//w.pth']) {
      expect(() => parseRegistry(wrap({ ...file, path })), path).toThrow(/presets\.p\.files\.0\.path/);
    }
    expect(() => parseRegistry(wrap({ ...file, revision: '..' }))).toThrow(/presets\.p\.files\.0\.revision/);
    expect(() => parseRegistry(wrap({ ...file, local: 'r\\..\\..\\w.pth' }))).toThrow(/presets\.p\.files\.0\.local/);
    expect(parseRegistry(wrap({ ...file, revision: 'refs/pr/1' })).presets[0]!.files[0]!.revision).toBe('refs/pr/1');
  });

  it('resolveUrl refuses dot segments and encodes everything else, %2e%2e included', () => {
    expect(() => resolveUrl('https://hub.example', 'o/r', 'main', '../../x/y')).toThrow(/segment/);
    expect(() => resolveUrl('https://hub.example', 'o/..', 'main', 'w.pth')).toThrow(/segment/);
    expect(() => resolveUrl('https://hub.example', 'o/r', '..', 'w.pth')).toThrow(/revision/);
    const url = resolveUrl('https://hub.example', 'o/r', 'refs/pr/1', '%2e%2e/w.pth');
    expect(url).toBe('https://hub.example/o/r/resolve/refs%2Fpr%2F1/%252e%252e/w.pth');
    expect(new URL(url).pathname.startsWith('/o/r/resolve/')).toBe(true);
  });
});
