/**
 * Preset-level operations a CLI (`models list|download|verify|remove`) and the REST API call:
 * status, download (free-disk check first, then one file after another), verify, remove.
 */
import { readdir, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { ModelDownloadError, formatBytes } from './errors.ts';
import { freeBytes, type FreeSpaceProbe } from './disk.ts';
import { downloadFile, lockPath, partPath, type OpenWriter } from './download-file.ts';
import { lockHolder } from './lock.ts';
import { sha256File } from './hash.ts';
import { defaultModelsDir, hubBaseUrl, hubToken, resolveUrl } from './hub.ts';
import type { ProgressEvent, ProgressListener } from './progress-events.ts';
import type { ModelFile, Preset } from './registry.ts';
import { VerifiedStore, type VerifiedEntry } from './verified-store.ts';
import { containedPath } from './contained-path.ts';

export type FileState =
  | 'missing' // nothing on disk
  | 'partial' // only a .part file (an interrupted download; `download` resumes it)
  | 'present' // the file exists but has not been hashed since it last changed
  | 'verified' // hashed, and the hash matches the registry (or the first-use hash)
  | 'corrupt'; // wrong size, or a recorded hash that contradicts the registry

export interface FileStatus {
  role: string;
  local: string;
  repo: string;
  revision: string;
  path: string;
  state: FileState;
  bytesOnDisk: number;
  expectedSize: number | null;
  /** The registry's sha256, else the trusted first-use hash, else null. */
  sha256: string | null;
  trust: VerifiedEntry['trust'] | null;
}

export interface PresetStatus {
  preset: string;
  kind: Preset['kind'];
  /** Every file verified (or present): the preset can be loaded. Generated presets are always ready. */
  ready: boolean;
  files: FileStatus[];
  /** Known bytes still to fetch (sizes the registry records, minus .part bytes). */
  bytesToDownload: number;
  /** Files to fetch whose size the registry does not record. */
  unknownSizes: number;
}

export interface ManagerOptions {
  modelsDir?: string;
}

export interface DownloadPresetOptions extends ManagerOptions {
  hubUrl?: string;
  token?: string;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** Injection points for tests and for embedding. */
  fetch?: typeof fetch;
  openWriter?: OpenWriter;
  freeSpace?: FreeSpaceProbe;
  progressIntervalMs?: number;
}

export interface DownloadedFile {
  local: string;
  sha256: string;
  size: number;
  outcome: 'downloaded' | 'resumed' | 'already-verified' | 'verified-existing';
  trust: VerifiedEntry['trust'];
}

export interface DownloadPresetResult {
  preset: string;
  generated: boolean;
  files: DownloadedFile[];
}

export type VerifyOutcome = 'ok' | 'trusted-first-use' | 'mismatch' | 'size-mismatch' | 'missing';

export interface VerifyFileResult {
  local: string;
  outcome: VerifyOutcome;
  sha256: string | null;
  expectedSha256: string | null;
  size: number | null;
}

export interface VerifyPresetResult {
  preset: string;
  ok: boolean;
  files: VerifyFileResult[];
}

export interface RemovePresetResult {
  preset: string;
  removed: string[];
  /** Files also listed by another preset, left in place. */
  keptShared: string[];
  /** Files being downloaded right now (a live lock holder), left in place. */
  busy: string[];
  bytesFreed: number;
}

function modelsDirOf(opts: ManagerOptions): string {
  return resolve(opts.modelsDir ?? defaultModelsDir());
}

/**
 * Absolute path of a file, refusing anything that would land outside the models directory, by
 * its name or through a symbolic link (also of the .part and .lock files a download writes).
 */
function fileDest(modelsDir: string, file: ModelFile): string {
  return containedPath(modelsDir, file.local, [partPath(''), lockPath('')]);
}

async function statOrNull(path: string) {
  return stat(path).catch(() => null);
}

async function fileStatus(modelsDir: string, file: ModelFile, store: Record<string, VerifiedEntry>): Promise<FileStatus> {
  const dest = fileDest(modelsDir, file);
  const base = { role: file.role, local: file.local, repo: file.repo, revision: file.revision, path: file.path, expectedSize: file.size };
  const st = await statOrNull(dest);
  const entry = store[file.local];
  if (!st) {
    const part = await statOrNull(partPath(dest));
    return { ...base, state: part ? 'partial' : 'missing', bytesOnDisk: part?.size ?? 0, sha256: file.sha256 ?? entry?.sha256 ?? null, trust: null };
  }
  const sizeWrong = file.size !== null && st.size !== file.size;
  const fresh = entry !== undefined && entry.size === st.size && entry.mtimeMs === st.mtimeMs;
  const hashWrong = fresh && file.sha256 !== null && entry.sha256 !== file.sha256;
  const state: FileState = sizeWrong || hashWrong ? 'corrupt' : fresh ? 'verified' : 'present';
  return {
    ...base,
    state,
    bytesOnDisk: st.size,
    sha256: file.sha256 ?? entry?.sha256 ?? null,
    trust: state === 'verified' ? entry!.trust : null,
  };
}

/** Which files of a preset are verified, present, partial or missing. Cheap: never hashes. */
export async function presetStatus(p: Preset, opts: ManagerOptions | string = {}): Promise<PresetStatus> {
  const o: ManagerOptions = typeof opts === 'string' ? { modelsDir: opts } : opts;
  const modelsDir = modelsDirOf(o);
  const store = await new VerifiedStore(modelsDir).all();
  const files = await Promise.all(p.files.map((f) => fileStatus(modelsDir, f, store)));
  let bytesToDownload = 0;
  let unknownSizes = 0;
  for (const f of files) {
    if (f.state === 'verified' || f.state === 'present') continue;
    if (f.expectedSize === null) unknownSizes++;
    else bytesToDownload += f.expectedSize - (f.state === 'partial' ? f.bytesOnDisk : 0);
  }
  const ready = p.kind === 'generated' || files.every((f) => f.state === 'verified' || f.state === 'present');
  return { preset: p.name, kind: p.kind, ready, files, bytesToDownload, unknownSizes };
}

async function record(store: VerifiedStore, dest: string, file: ModelFile, sha256: string): Promise<VerifiedEntry> {
  const st = await stat(dest);
  const entry: VerifiedEntry = {
    sha256,
    size: st.size,
    mtimeMs: st.mtimeMs,
    verifiedAt: new Date().toISOString(),
    trust: file.sha256 !== null ? 'registry' : 'first-use',
  };
  await store.set(file.local, entry);
  return entry;
}

/**
 * Download every file of the preset that is not verified yet. Checks free disk space for the
 * known sizes before fetching anything; resumes .part files; verifies sha256 (registry hash, or
 * trust on first use) and records it. The first failure stops the run and is thrown as a
 * ModelDownloadError (after an 'error' progress event).
 */
export async function downloadPreset(p: Preset, opts: DownloadPresetOptions = {}): Promise<DownloadPresetResult> {
  if (p.kind === 'generated') return { preset: p.name, generated: true, files: [] };

  const modelsDir = modelsDirOf(opts);
  const hub = hubBaseUrl(opts.hubUrl);
  const token = hubToken(hub, opts.token);
  const store = new VerifiedStore(modelsDir);
  const status = await presetStatus(p, { modelsDir });

  if (status.bytesToDownload > 0) {
    const free = await (opts.freeSpace ?? freeBytes)(modelsDir).catch(() => Number.POSITIVE_INFINITY);
    if (free < status.bytesToDownload) {
      throw new ModelDownloadError(
        'disk-full',
        p.name,
        `${p.name}: not enough free disk space in ${modelsDir}: the preset needs ${formatBytes(status.bytesToDownload)} more${
          status.unknownSizes ? ` (plus ${status.unknownSizes} file(s) of unknown size)` : ''
        }, ${formatBytes(free)} free`,
      );
    }
  }

  const results: DownloadedFile[] = [];
  const fileCount = p.files.length;
  for (let i = 0; i < fileCount; i++) {
    const file = p.files[i]!;
    const fs = status.files[i]!;
    const dest = fileDest(modelsDir, file);
    const event = (e: Omit<ProgressEvent, 'preset' | 'file' | 'fileIndex' | 'fileCount'>) =>
      opts.onProgress?.({ preset: p.name, file: file.local, fileIndex: i + 1, fileCount, ...e });

    if (fs.state === 'verified') {
      const entry = (await store.get(file.local))!;
      event({ phase: 'skip', bytesDone: entry.size, bytesTotal: entry.size, bytesPerSecond: 0, etaSeconds: 0 });
      results.push({ local: file.local, sha256: entry.sha256, size: entry.size, outcome: 'already-verified', trust: entry.trust });
      continue;
    }
    if (fs.state === 'corrupt') await unlink(dest).catch(() => undefined);

    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const firstUse = file.sha256 === null ? (await store.get(file.local))?.sha256 ?? null : null;
    try {
      const r = await downloadFile({
        url: resolveUrl(hub, file.repo, file.revision, file.path),
        dest,
        label: file.local,
        expectedSize: file.size,
        // With no registry hash, a hash trusted earlier still catches a changed or damaged file.
        expectedSha256: file.sha256 ?? firstUse,
        headers,
        signal: opts.signal,
        fetch: opts.fetch,
        openWriter: opts.openWriter,
        freeSpace: opts.freeSpace,
        progressIntervalMs: opts.progressIntervalMs,
        onProgress: (fp) => event(fp),
      });
      const entry = await record(store, dest, file, r.sha256);
      const outcome: DownloadedFile['outcome'] = r.reused ? 'verified-existing' : r.resumedFrom > 0 ? 'resumed' : 'downloaded';
      results.push({ local: file.local, sha256: r.sha256, size: r.size, outcome, trust: entry.trust });
    } catch (e) {
      const err =
        e instanceof ModelDownloadError ? e : new ModelDownloadError('io', file.local, `${file.local}: ${(e as Error).message}`, { cause: e });
      event({ phase: 'error', bytesDone: 0, bytesTotal: file.size, bytesPerSecond: 0, etaSeconds: null, error: { code: err.code, message: err.message } });
      throw err;
    }
  }
  return { preset: p.name, generated: false, files: results };
}

/**
 * Hash every file of the preset and compare: with the registry's sha256 where it has one, else
 * with the first-use hash in .verified.json (a file never hashed before becomes trusted now).
 * Reports, never deletes: `remove` or `download` repairs.
 */
export async function verifyPreset(
  p: Preset,
  opts: ManagerOptions & { onProgress?: ProgressListener; signal?: AbortSignal } = {},
): Promise<VerifyPresetResult> {
  const modelsDir = modelsDirOf(opts);
  const store = new VerifiedStore(modelsDir);
  const entries = await store.all();
  const files: VerifyFileResult[] = [];
  for (let i = 0; i < p.files.length; i++) {
    const file = p.files[i]!;
    const dest = fileDest(modelsDir, file);
    const st = await statOrNull(dest);
    const base = { preset: p.name, file: file.local, fileIndex: i + 1, fileCount: p.files.length };
    if (!st) {
      files.push({ local: file.local, outcome: 'missing', sha256: null, expectedSha256: file.sha256, size: null });
      continue;
    }
    if (file.size !== null && st.size !== file.size) {
      files.push({ local: file.local, outcome: 'size-mismatch', sha256: null, expectedSha256: file.sha256, size: st.size });
      continue;
    }
    const started = Date.now();
    const { sha256, size } = await sha256File(
      dest,
      (done) => {
        const secs = (Date.now() - started) / 1000;
        const rate = secs > 0 ? done / secs : 0;
        opts.onProgress?.({ ...base, phase: 'verify', bytesDone: done, bytesTotal: st.size, bytesPerSecond: rate, etaSeconds: rate > 0 ? (st.size - done) / rate : null });
      },
      opts.signal,
    );
    const trusted = entries[file.local];
    const expected = file.sha256 ?? trusted?.sha256 ?? null;
    let outcome: VerifyOutcome;
    if (expected === null) outcome = 'trusted-first-use';
    else outcome = sha256 === expected ? 'ok' : 'mismatch';
    if (outcome !== 'mismatch') await record(store, dest, file, sha256);
    else if (trusted && trusted.sha256 !== sha256) await store.delete(file.local); // its mtime/size no longer vouch for it
    opts.onProgress?.({ ...base, phase: outcome === 'mismatch' ? 'error' : 'done', bytesDone: size, bytesTotal: size, bytesPerSecond: 0, etaSeconds: 0 });
    files.push({ local: file.local, outcome, sha256, expectedSha256: expected, size });
  }
  return { preset: p.name, ok: files.every((f) => f.outcome === 'ok' || f.outcome === 'trusted-first-use'), files };
}

async function removeEmptyDirs(from: string, stopAt: string): Promise<void> {
  let dir = from;
  while (dir.startsWith(stopAt + sep)) {
    const left = await readdir(dir).catch(() => null);
    if (!left || left.length > 0) return;
    await rmdir(dir).catch(() => undefined);
    dir = dirname(dir);
  }
}

/**
 * Delete a preset's files (and their .part files and hash records). Files that another of
 * `opts.presets` (every known preset, from the catalogue) lists stay.
 */
export async function removePreset(p: Preset, opts: ManagerOptions & { presets: readonly Preset[] }): Promise<RemovePresetResult> {
  const modelsDir = modelsDirOf(opts);
  const store = new VerifiedStore(modelsDir);
  const others = new Set(
    opts.presets
      .filter((q) => q.name !== p.name)
      .flatMap((q) => q.files.map((f) => f.local)),
  );
  const removed: string[] = [];
  const keptShared: string[] = [];
  const busy: string[] = [];
  let bytesFreed = 0;
  for (const file of p.files) {
    if (others.has(file.local)) {
      keptShared.push(file.local);
      continue;
    }
    const dest = fileDest(modelsDir, file);
    if (await lockHolder(lockPath(dest))) {
      busy.push(file.local);
      continue;
    }
    let any = false;
    for (const path of [dest, partPath(dest)]) {
      const st = await statOrNull(path);
      if (!st) continue;
      await unlink(path);
      bytesFreed += st.size;
      any = true;
    }
    await store.delete(file.local);
    if (any) removed.push(file.local);
    await removeEmptyDirs(dirname(dest), modelsDir);
  }
  return { preset: p.name, removed, keptShared, busy, bytesFreed };
}

/**
 * The sha256 of a preset file as last verified, if the file has not changed since (same size and
 * mtime). Cheap: no hashing. Meant as the cache key of weights converted from this file.
 */
export async function verifiedSha256(p: Preset, role: string, opts: ManagerOptions = {}): Promise<string | null> {
  const file = p.files.find((f) => f.role === role);
  if (!file) throw new Error(`preset "${p.name}" has no file with role "${role}" (roles: ${p.files.map((f) => f.role).join(', ')})`);
  const modelsDir = modelsDirOf(opts);
  const st = await fileStatus(modelsDir, file, await new VerifiedStore(modelsDir).all());
  return st.state === 'verified' ? st.sha256 : null;
}

/** Path of a preset file on disk (for loaders), checked to stay inside the models directory. */
export function presetFilePath(p: Preset, role: string, opts: ManagerOptions = {}): string {
  const file = p.files.find((f) => f.role === role);
  if (!file) throw new Error(`preset "${p.name}" has no file with role "${role}" (roles: ${p.files.map((f) => f.role).join(', ')})`);
  const modelsDir = modelsDirOf(opts);
  return fileDest(modelsDir, file);
}
