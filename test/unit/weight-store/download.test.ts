/**
 * Weight downloads against a local hub on 127.0.0.1: full, interrupted-then-resumed, 404,
 * checksum mismatch, disk full, concurrent downloads of one file, offline.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelDownloadError } from '../../../src/weight-store/errors.ts';
import { downloadFileExclusive, lockPath, partPath } from '../../../src/weight-store/download-file.ts';
import { downloadPreset, presetStatus } from '../../../src/weight-store/manager.ts';
import type { ProgressEvent } from '../../../src/weight-store/progress-events.ts';
import { VERIFIED_FILE } from '../../../src/weight-store/verified-store.ts';
import { closedPort, resolvePath, startHubServer, type HubServer } from '../../support/hub-server.ts';
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

async function rejection(p: Promise<unknown>): Promise<ModelDownloadError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelDownloadError);
    return e as ModelDownloadError;
  }
  throw new Error('expected the download to fail');
}

/** Every file left in the models directory, relative (ignores the hash store). */
async function filesOnDisk(dir = modelsDir): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(join(d, e.name), r);
      else if (e.name !== VERIFIED_FILE) out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}

describe('downloadPreset', () => {
  it('downloads every file byte-exact, records its sha256 and reports the preset verified', async () => {
    const a = generatedBytes(200_000, 1);
    const b = generatedBytes(50_000, 2);
    const { preset, served } = buildPreset('t', [
      { role: 'weights', path: 'models/a.pt', data: a },
      { role: 'tokenizer', path: 'tok/b.json', data: b, knownSha: false, knownSize: false },
    ]);
    hub = await startHubServer(served);
    const events: ProgressEvent[] = [];
    const result = await downloadPreset(preset, { modelsDir, hubUrl: hub.url, onProgress: (e) => events.push(e), progressIntervalMs: 0 });

    expect(await readFile(join(modelsDir, 'test-repo/models/a.pt'))).toEqual(a);
    expect(await readFile(join(modelsDir, 'test-repo/tok/b.json'))).toEqual(b);
    expect(result.files.map((f) => [f.local, f.outcome, f.trust, f.sha256])).toEqual([
      ['test-repo/models/a.pt', 'downloaded', 'registry', sha256(a)],
      ['test-repo/tok/b.json', 'downloaded', 'first-use', sha256(b)],
    ]);
    // No .part or .lock left behind.
    expect(await filesOnDisk()).toEqual(['test-repo/models/a.pt', 'test-repo/tok/b.json']);

    const store = JSON.parse(await readFile(join(modelsDir, VERIFIED_FILE), 'utf8'));
    expect(store['test-repo/tok/b.json'].sha256).toBe(sha256(b));
    expect(store['test-repo/tok/b.json'].trust).toBe('first-use');

    const status = await presetStatus(preset, { modelsDir });
    expect(status.ready).toBe(true);
    expect(status.files.map((f) => f.state)).toEqual(['verified', 'verified']);

    // Progress: each file starts and finishes, sizes known from the registry or the server.
    const first = events.filter((e) => e.file === 'test-repo/models/a.pt');
    expect(first[0]).toMatchObject({ phase: 'start', fileIndex: 1, fileCount: 2, bytesTotal: a.length, preset: 't' });
    expect(first.at(-1)).toMatchObject({ phase: 'done', bytesDone: a.length });
    expect(events.filter((e) => e.file === 'test-repo/tok/b.json')[0]).toMatchObject({ phase: 'start', bytesTotal: b.length });
    const downloads = first.filter((e) => e.phase === 'download');
    expect(downloads.length).toBeGreaterThan(0);
    expect(downloads.map((e) => e.bytesDone)).toEqual([...downloads.map((e) => e.bytesDone)].sort((x, y) => x - y));

    // A second run fetches nothing.
    const before = hub.requests.length;
    const again = await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    expect(again.files.map((f) => f.outcome)).toEqual(['already-verified', 'already-verified']);
    expect(hub.requests.length).toBe(before);
  });

  it('resumes an interrupted download from the .part file with a Range request, byte-exact', async () => {
    const data = generatedBytes(300_000, 3);
    const { preset, served } = buildPreset('t', [{ role: 'weights', path: 'big.safetensors', data, served: { cutAfter: 100_000 } }]);
    hub = await startHubServer(served);
    const dest = join(modelsDir, 'test-repo/big.safetensors');

    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url }));
    expect(err.code).toBe('interrupted');
    expect(err.resumable).toBe(true);
    expect(err.message).toMatch(/test-repo\/big\.safetensors: connection lost after .* run the download again to resume/);
    expect(existsSync(dest)).toBe(false);
    const kept = (await stat(partPath(dest))).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(data.length);
    expect((await presetStatus(preset, { modelsDir })).files[0]).toMatchObject({ state: 'partial', bytesOnDisk: kept });

    const events: ProgressEvent[] = [];
    const result = await downloadPreset(preset, { modelsDir, hubUrl: hub.url, onProgress: (e) => events.push(e) });
    expect(result.files[0]!.outcome).toBe('resumed');
    expect(await readFile(dest)).toEqual(data);
    expect(existsSync(partPath(dest))).toBe(false);
    const path = resolvePath('test-org/test-repo', 'main', 'big.safetensors');
    const [firstReq, secondReq] = hub.bodyRequests(path);
    expect(firstReq).toMatchObject({ range: undefined, status: 200 });
    expect(secondReq).toMatchObject({ range: `bytes=${kept}-`, status: 206 });
    expect(events.find((e) => e.phase === 'resume')).toMatchObject({ bytesDone: kept, bytesTotal: data.length });
  });

  it('keeps the Range header across the hub-to-CDN redirect when resuming', async () => {
    const data = generatedBytes(120_000, 4);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.pth', data, served: { cutAfter: 40_000, redirect: true } }]);
    hub = await startHubServer(served);
    expect((await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url }))).code).toBe('interrupted');
    const kept = (await stat(partPath(join(modelsDir, 'test-repo/w.pth')))).size;
    expect(kept).toBeGreaterThan(0);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    expect(await readFile(join(modelsDir, 'test-repo/w.pth'))).toEqual(data);
    expect(hub.requests.map((r) => [r.status, r.range])).toEqual([
      [302, undefined],
      [200, undefined],
      [302, `bytes=${kept}-`],
      [206, `bytes=${kept}-`],
    ]);
  });

  it('starts over when the server ignores the Range request', async () => {
    const data = generatedBytes(90_000, 5);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.bin', data, served: { cutAfter: 30_000, ignoreRange: true } }]);
    hub = await startHubServer(served);
    await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url }));
    const result = await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    expect(result.files[0]!.outcome).toBe('downloaded');
    expect(await readFile(join(modelsDir, 'test-repo/w.bin'))).toEqual(data);
  });

  it('reports 404 as not-found, naming the file and URL, and leaves nothing behind', async () => {
    const { preset } = buildPreset('t', [{ role: 'w', path: 'missing.safetensors', data: generatedBytes(10, 6) }]);
    hub = await startHubServer({});
    const events: ProgressEvent[] = [];
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url, onProgress: (e) => events.push(e) }));
    expect(err.code).toBe('not-found');
    expect(err.file).toBe('test-repo/missing.safetensors');
    expect(err.message).toContain('HTTP 404');
    expect(err.message).toContain(`${hub.url}/test-org/test-repo/resolve/main/missing.safetensors`);
    expect(await filesOnDisk()).toEqual([]);
    expect(events.at(-1)).toMatchObject({ phase: 'error', error: { code: 'not-found' } });
  });

  it('removes a file whose sha256 does not match and says which hashes differ', async () => {
    const data = generatedBytes(64_000, 7);
    const wrong = sha256(Buffer.from('something else'));
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.safetensors', data, sha256: wrong }]);
    hub = await startHubServer(served);
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url }));
    expect(err.code).toBe('checksum-mismatch');
    expect(err.message).toContain(`expected sha256 ${wrong}`);
    expect(err.message).toContain(`got ${sha256(data)}`);
    expect(err.message).toContain('removed');
    expect(await filesOnDisk()).toEqual([]);
    expect((await presetStatus(preset, { modelsDir })).files[0]!.state).toBe('missing');
  });

  it('rejects a hub file whose size differs from the registry before writing it', async () => {
    const data = generatedBytes(20_000, 8);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.pt', data, size: 19_999 }]);
    hub = await startHubServer(served);
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url }));
    expect(err.code).toBe('size-mismatch');
    expect(err.message).toMatch(/20000 bytes but the registry expects 19999/);
    expect(await filesOnDisk()).toEqual([]);
  });

  it('stops on ENOSPC while writing, removes the partial file and says the disk is full', async () => {
    const data = generatedBytes(200_000, 9);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.safetensors', data }]);
    hub = await startHubServer(served);
    let written = 0;
    const err = await rejection(
      downloadPreset(preset, {
        modelsDir,
        hubUrl: hub.url,
        // A disk that fills up after 64 KB; the real writer does the rest.
        openWriter: async (path, mode) => {
          await writeFile(path, '', { flag: mode === 'append' ? 'a' : 'w' });
          return {
            async write(chunk) {
              if (written + chunk.length > 64_000) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              written += chunk.length;
              await writeFile(path, chunk, { flag: 'a' });
            },
            sync: async () => undefined,
            close: async () => undefined,
          };
        },
      }),
    );
    expect(err.code).toBe('disk-full');
    expect(err.message).toContain('disk full');
    expect(err.message).toContain('partial file was removed');
    expect(await filesOnDisk()).toEqual([]);
  });

  it('checks free disk space before fetching anything', async () => {
    const data = generatedBytes(50_000, 10);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.safetensors', data }]);
    hub = await startHubServer(served);
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url, freeSpace: async () => 1_000 }));
    expect(err.code).toBe('disk-full');
    expect(err.message).toMatch(/not enough free disk space .* needs 50\.0 KB more, 1\.0 KB free/);
    expect(hub.requests).toEqual([]);
    expect(await filesOnDisk()).toEqual([]);
  });

  it('checks free space against the server size when the registry has none', async () => {
    const data = generatedBytes(50_000, 11);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.pth', data, knownSize: false, knownSha: false }]);
    hub = await startHubServer(served);
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url, freeSpace: async () => 1_000 }));
    expect(err.code).toBe('disk-full');
    expect(err.message).toMatch(/needs 50\.0 KB, 1\.0 KB free/);
    expect(await filesOnDisk()).toEqual([]);
  });

  it('shares one transfer between concurrent downloads of the same preset', async () => {
    const data = generatedBytes(256_000, 12);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.safetensors', data, served: { chunkDelayMs: 2 } }]);
    hub = await startHubServer(served);
    const seenA: ProgressEvent[] = [];
    const seenB: ProgressEvent[] = [];
    const [ra, rb] = await Promise.all([
      downloadPreset(preset, { modelsDir, hubUrl: hub.url, onProgress: (e) => seenA.push(e) }),
      downloadPreset(preset, { modelsDir, hubUrl: hub.url, onProgress: (e) => seenB.push(e) }),
    ]);
    expect(ra.files[0]!.sha256).toBe(sha256(data));
    expect(rb.files[0]!.sha256).toBe(sha256(data));
    expect(hub.bodyRequests('/test-org/test-repo/resolve/main/w.safetensors')).toHaveLength(1);
    expect(await readFile(join(modelsDir, 'test-repo/w.safetensors'))).toEqual(data);
    expect(await filesOnDisk()).toEqual(['test-repo/w.safetensors']);
    // Both callers saw the file finish.
    expect(seenA.some((e) => e.phase === 'done')).toBe(true);
    expect(seenB.some((e) => e.phase === 'done')).toBe(true);
  });

  it('reports a refused connection as offline, with the host and what to do', async () => {
    const port = await closedPort();
    const { preset } = buildPreset('t', [{ role: 'w', path: 'w.safetensors', data: generatedBytes(10, 13) }]);
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: `http://127.0.0.1:${port}` }));
    expect(err.code).toBe('offline');
    expect(err.message).toContain(`cannot reach the model hub at 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(err.message).toContain('VACE_HUB_URL');
    expect(await filesOnDisk()).toEqual([]);
  });

  it('reports a DNS failure as offline', async () => {
    const { preset } = buildPreset('t', [{ role: 'w', path: 'w.safetensors', data: generatedBytes(10, 19) }]);
    // The shape Node's fetch (undici) rejects with when the hub's name does not resolve.
    const dnsFailure: typeof fetch = async () => {
      throw new TypeError('fetch failed', { cause: Object.assign(new Error('getaddrinfo ENOTFOUND hub.invalid'), { code: 'ENOTFOUND' }) });
    };
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: 'https://hub.invalid', fetch: dnsFailure }));
    expect(err.code).toBe('offline');
    expect(err.message).toContain('cannot reach the model hub at hub.invalid (ENOTFOUND)');
    expect(await filesOnDisk()).toEqual([]);
  });

  it('keeps the .part file when the caller cancels, and resumes later', async () => {
    const data = generatedBytes(400_000, 14);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.bin', data, served: { chunkDelayMs: 5 } }]);
    hub = await startHubServer(served);
    const ac = new AbortController();
    const err = await rejection(
      downloadPreset(preset, {
        modelsDir,
        hubUrl: hub.url,
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (e) => {
          if (e.phase === 'download' && e.bytesDone >= 50_000) ac.abort();
        },
      }),
    );
    expect(err.code).toBe('aborted');
    const dest = join(modelsDir, 'test-repo/w.bin');
    expect(existsSync(dest)).toBe(false);
    expect((await stat(partPath(dest))).size).toBeGreaterThan(0);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    expect(await readFile(dest)).toEqual(data);
  });

  it('catches a file that changed upstream against the hash trusted on first use', async () => {
    const v1 = generatedBytes(30_000, 15);
    const { preset, served } = buildPreset('t', [{ role: 'w', path: 'w.pth', data: v1, knownSha: false, knownSize: false }]);
    hub = await startHubServer(served);
    await downloadPreset(preset, { modelsDir, hubUrl: hub.url });
    await hub.close();
    // Same name, other bytes: the first-use hash must reject it.
    const v2 = generatedBytes(30_000, 16);
    hub = await startHubServer({ '/test-org/test-repo/resolve/main/w.pth': { data: v2 } });
    await writeFile(join(modelsDir, 'test-repo/w.pth'), 'damaged');
    const err = await rejection(downloadPreset(preset, { modelsDir, hubUrl: hub.url }));
    expect(err.code).toBe('checksum-mismatch');
    expect(err.message).toContain(`expected sha256 ${sha256(v1)}`);
  });
});

describe('downloadFileExclusive (across processes)', () => {
  it('waits on the lock file of another download and reuses the file it produced', async () => {
    const data = generatedBytes(200_000, 17);
    const path = '/o/r/resolve/main/w.bin';
    hub = await startHubServer({ [path]: { data, chunkDelayMs: 2 } });
    const dest = join(modelsDir, 'r/w.bin');
    const opts = { url: hub.url + path, dest, label: 'r/w.bin', expectedSize: data.length, expectedSha256: sha256(data), lockPollMs: 20 };
    // Two independent calls (no in-process sharing): the second must queue behind the lock file.
    const [a, b] = await Promise.all([downloadFileExclusive(opts), downloadFileExclusive(opts)]);
    expect(hub.bodyRequests(path)).toHaveLength(1);
    expect([a.reused, b.reused].sort()).toEqual([false, true]);
    expect(a.sha256).toBe(sha256(data));
    expect(b.sha256).toBe(sha256(data));
    expect(await readFile(dest)).toEqual(data);
    expect(existsSync(lockPath(dest))).toBe(false);
  });

  it('breaks a stale lock left by a process that no longer exists', async () => {
    const data = generatedBytes(10_000, 18);
    const path = '/o/r/resolve/main/s.bin';
    hub = await startHubServer({ [path]: { data } });
    const dest = join(modelsDir, 'r/s.bin');
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
    await downloadFileExclusive({ url: hub.url + path, dest, label: 'r/s.bin', expectedSize: null, expectedSha256: null }); // creates r/
    await writeFile(dest, 'x'); // make the next call re-download
    await writeFile(lockPath(dest), JSON.stringify({ pid: deadPid, host: hostname(), startedAt: new Date(0).toISOString() }));
    const r = await downloadFileExclusive({ url: hub.url + path, dest, label: 'r/s.bin', expectedSize: data.length, expectedSha256: sha256(data), lockPollMs: 20 });
    expect(r.sha256).toBe(sha256(data));
    expect(await readFile(dest)).toEqual(data);
    expect(existsSync(lockPath(dest))).toBe(false);
  });
});
