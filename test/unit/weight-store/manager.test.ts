/** presetStatus / verifyPreset / removePreset on real files laid out by downloadPreset. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadPreset, presetFilePath, presetStatus, removePreset, verifiedSha256, verifyPreset } from '../../../src/weight-store/manager.ts';
import { lockPath } from '../../../src/weight-store/download-file.ts';
import { getPreset } from '../../../src/presets/catalog.ts';
import { VERIFIED_FILE } from '../../../src/weight-store/verified-store.ts';
import { closedPort, startHubServer, type HubServer } from '../../support/hub-server.ts';
import { buildPreset, generatedBytes, sha256, tempModelsDir } from '../../support/weight-store.ts';

let modelsDir: string;
let cleanup: () => Promise<void>;
let hub: HubServer | undefined;

beforeEach(async () => {
  ({ dir: modelsDir, cleanup } = await tempModelsDir());
});
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await cleanup();
});

const known = generatedBytes(40_000, 21);
const tofu = generatedBytes(30_000, 22);
function twoFilePreset() {
  return buildPreset('p', [
    { role: 'weights', path: 'models/w.safetensors', data: known },
    { role: 'config', path: 'cfg/c.json', data: tofu, knownSha: false, knownSize: false },
  ]);
}

describe('presetStatus', () => {
  it('reports missing files and the bytes still to fetch', async () => {
    const { preset } = twoFilePreset();
    const s = await presetStatus(preset, modelsDir);
    expect(s.ready).toBe(false);
    expect(s.files.map((f) => f.state)).toEqual(['missing', 'missing']);
    expect(s.bytesToDownload).toBe(known.length);
    expect(s.unknownSizes).toBe(1);
  });

  it('tells present (unhashed), corrupt (wrong size) and verified apart', async () => {
    const { preset, served } = twoFilePreset();
    hub = await startHubServer(served);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    // Touching a file invalidates its record: present, not verified, until it is hashed again.
    const cfg = join(modelsDir, 'test-repo/cfg/c.json');
    await utimes(cfg, new Date(), new Date(Date.now() + 5000));
    await writeFile(join(modelsDir, 'test-repo/models/w.safetensors'), 'short');
    const s = await presetStatus(preset, modelsDir);
    expect(s.files.map((f) => f.state)).toEqual(['corrupt', 'present']);
    expect(s.ready).toBe(false);
  });

  it('treats a generated preset as ready without files', async () => {
    const s = await presetStatus(getPreset('demo'), modelsDir);
    expect(s).toMatchObject({ preset: 'demo', kind: 'generated', ready: true, files: [] });
  });
});

describe('downloadPreset', () => {
  it('downloads nothing for the generated demo preset', async () => {
    const r = await downloadPreset(getPreset('demo'), { modelsDir, hubUrl: `http://127.0.0.1:${await closedPort()}` });
    expect(r).toEqual({ preset: 'demo', generated: true, files: [] });
    expect(await readdir(modelsDir)).toEqual([]);
  });

  it('re-downloads a corrupt file and hashes an unrecorded one instead of fetching it', async () => {
    const { preset, served } = twoFilePreset();
    hub = await startHubServer(served);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    await writeFile(join(modelsDir, 'test-repo/models/w.safetensors'), 'short');
    await writeFile(join(modelsDir, VERIFIED_FILE), '{}'); // forget the first-use record of c.json
    const before = hub.requests.length;
    const r = await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    expect(r.files.map((f) => f.outcome)).toEqual(['downloaded', 'verified-existing']);
    expect(hub.requests.length).toBe(before + 1);
    expect(await readFile(join(modelsDir, 'test-repo/models/w.safetensors'))).toEqual(known);
  });
});

describe('the shipped longlive-1.3b preset', () => {
  it('asks for the real hub paths in registry order', async () => {
    hub = await startHubServer({}); // every file 404s: we only look at what was requested
    const plenty = async () => Number.MAX_SAFE_INTEGER; // this machine's real free space must not matter
    await expect(downloadPreset(getPreset('longlive-1.3b'), { modelsDir, hubUrl: hub.url, freeSpace: plenty })).rejects.toMatchObject({ code: 'not-found' });
    expect(hub.requests[0]!.path).toBe('/daydreamlive/LongLive-1.3B/resolve/main/models/longlive_base.pt');
  });

  it('refuses to start without room for the known sizes (the 11.4 GB text encoder)', async () => {
    hub = await startHubServer({});
    const err = await downloadPreset(getPreset('longlive-1.3b'), { modelsDir, hubUrl: hub.url, freeSpace: async () => 1e9 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'disk-full' });
    expect((err as Error).message).toMatch(/needs 11\.4 GB more \(plus \d+ file\(s\) of unknown size\), 1\.0 GB free/);
    expect(hub.requests).toEqual([]);
  });
});

describe('verifyPreset', () => {
  it('checks registry hashes, trusts unknown ones on first use, then catches changes', async () => {
    const { preset, served } = twoFilePreset();
    hub = await startHubServer(served);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    await writeFile(join(modelsDir, VERIFIED_FILE), '{}');

    const first = await verifyPreset(preset, { modelsDir });
    expect(first.ok).toBe(true);
    expect(first.files.map((f) => f.outcome)).toEqual(['ok', 'trusted-first-use']);
    expect(first.files[1]!.sha256).toBe(sha256(tofu));

    const second = await verifyPreset(preset, { modelsDir });
    expect(second.files.map((f) => f.outcome)).toEqual(['ok', 'ok']);

    // Same size, different bytes: only hashing can tell.
    const flipped = Buffer.from(tofu);
    flipped[100] = flipped[100]! ^ 0xff;
    await writeFile(join(modelsDir, 'test-repo/cfg/c.json'), flipped);
    const third = await verifyPreset(preset, { modelsDir });
    expect(third.ok).toBe(false);
    expect(third.files[1]).toMatchObject({ outcome: 'mismatch', expectedSha256: sha256(tofu), sha256: sha256(flipped) });
  });

  it('reports missing and wrong-size files without hashing them', async () => {
    const { preset } = twoFilePreset();
    await mkdir(join(modelsDir, 'test-repo/models'), { recursive: true });
    await writeFile(join(modelsDir, 'test-repo/models/w.safetensors'), 'short');
    const r = await verifyPreset(preset, { modelsDir });
    expect(r.files.map((f) => f.outcome)).toEqual(['size-mismatch', 'missing']);
    expect(r.ok).toBe(false);
  });
});

describe('removePreset', () => {
  it('deletes files, .part files, hash records and empty folders; keeps files another preset lists', async () => {
    const { preset, served } = twoFilePreset();
    const shared = buildPreset('other', [{ role: 'config', path: 'cfg/c.json', data: tofu, knownSha: false, knownSize: false }]).preset;
    hub = await startHubServer(served);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    await writeFile(join(modelsDir, 'test-repo/models/extra.safetensors.part'), 'x'); // not ours: stays
    await writeFile(join(modelsDir, 'test-repo/models/w.safetensors.part'), 'leftover');

    const r = await removePreset(preset, { modelsDir, presets: [preset, shared] });
    expect(r.removed).toEqual(['test-repo/models/w.safetensors']);
    expect(r.keptShared).toEqual(['test-repo/cfg/c.json']);
    expect(r.bytesFreed).toBe(known.length + 'leftover'.length);
    expect(existsSync(join(modelsDir, 'test-repo/models/w.safetensors'))).toBe(false);
    expect(existsSync(join(modelsDir, 'test-repo/cfg/c.json'))).toBe(true);
    const store = JSON.parse(await readFile(join(modelsDir, VERIFIED_FILE), 'utf8'));
    expect(Object.keys(store)).toEqual(['test-repo/cfg/c.json']);

    const alone = await removePreset(shared, { modelsDir, presets: [shared] });
    expect(alone.removed).toEqual(['test-repo/cfg/c.json']);
    // cfg/ became empty and went away; models/ still holds the foreign file.
    expect(await readdir(join(modelsDir, 'test-repo'))).toEqual(['models']);
  });

  it('leaves a file alone while a live process holds its download lock', async () => {
    const { preset, served } = twoFilePreset();
    hub = await startHubServer(served);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    const dest = join(modelsDir, 'test-repo/models/w.safetensors');
    await writeFile(lockPath(dest), JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }));
    const r = await removePreset(preset, { modelsDir, presets: [preset] });
    expect(r.busy).toEqual(['test-repo/models/w.safetensors']);
    expect(r.removed).toEqual(['test-repo/cfg/c.json']);
    expect(existsSync(dest)).toBe(true);
  });
});

describe('file look-ups for loaders', () => {
  it('gives the path of a role and its verified sha256 (null once the file changes)', async () => {
    const { preset, served } = twoFilePreset();
    hub = await startHubServer(served);
    expect(presetFilePath(preset, 'weights', { modelsDir })).toBe(join(modelsDir, 'test-repo/models/w.safetensors'));
    expect(() => presetFilePath(preset, 'vae', { modelsDir })).toThrow(/preset "p" has no file with role "vae" \(roles: weights, config\)/);
    expect(await verifiedSha256(preset, 'config', { modelsDir })).toBeNull();
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    expect(await verifiedSha256(preset, 'config', { modelsDir })).toBe(sha256(tofu));
    expect(await verifiedSha256(preset, 'weights', { modelsDir })).toBe(sha256(known));
    await writeFile(join(modelsDir, 'test-repo/cfg/c.json'), 'edited');
    expect(await verifiedSha256(preset, 'config', { modelsDir })).toBeNull();
  });
});
