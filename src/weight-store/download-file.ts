/**
 * One resumable HTTP download: bytes go to `<dest>.part`, resume with a Range request, sha256 is
 * computed while writing, and only a verified file is renamed to `<dest>` (rename is atomic on one
 * file system, so `<dest>` is either absent or complete). Concurrent downloads of the same target
 * share one transfer inside a process and queue behind a lock file across processes.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  ModelDownloadError,
  errorCode,
  formatBytes,
  isDiskFullError,
  isOfflineError,
} from './errors.ts';
import { freeBytes, type FreeSpaceProbe } from './disk.ts';
import { hashFileInto, sha256File } from './hash.ts';
import { acquireFileLock } from './lock.ts';
import { RateMeter, type ProgressPhase } from './progress-events.ts';

/** Where downloaded bytes are written; injectable so tests can simulate a full disk. */
export interface FileWriter {
  write(chunk: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}
export type OpenWriter = (path: string, mode: 'append' | 'truncate') => Promise<FileWriter>;

export const openFileWriter: OpenWriter = async (path, mode) => {
  const fh = await open(path, mode === 'append' ? 'a' : 'w');
  return {
    async write(chunk) {
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
        off += bytesWritten;
      }
    },
    sync: () => fh.sync(),
    close: () => fh.close(),
  };
};

export interface FileProgress {
  phase: ProgressPhase;
  bytesDone: number;
  bytesTotal: number | null;
  bytesPerSecond: number;
  etaSeconds: number | null;
}

export interface DownloadFileOptions {
  url: string;
  /** Absolute path of the final file. */
  dest: string;
  /** Name used in messages and progress (the path under the models directory). */
  label: string;
  expectedSize: number | null;
  expectedSha256: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  onProgress?: (p: FileProgress) => void;
  /** Minimum time between 'download' progress callbacks. */
  progressIntervalMs?: number;
  /** If `dest` already exists when we get the lock: return its known hash, or null to have it re-hashed. */
  knownGood?: () => Promise<{ sha256: string; size: number } | null>;
  fetch?: typeof fetch;
  openWriter?: OpenWriter;
  freeSpace?: FreeSpaceProbe;
  lockPollMs?: number;
  now?: () => number;
}

export interface DownloadFileResult {
  sha256: string;
  size: number;
  /** Bytes taken from an existing .part file (0 for a fresh download). */
  resumedFrom: number;
  /** true when `dest` was already there (another caller finished it) and nothing was fetched. */
  reused: boolean;
}

export const partPath = (dest: string) => `${dest}.part`;
export const lockPath = (dest: string) => `${dest}.lock`;

interface Shared {
  promise: Promise<DownloadFileResult>;
  listeners: Set<(p: FileProgress) => void>;
}
const inFlight = new Map<string, Shared>();

/**
 * Download `url` to `dest`. A second call for the same `dest` while one runs in this process joins
 * it (its onProgress receives the same events); another process waits on `<dest>.lock`.
 */
export function downloadFile(opts: DownloadFileOptions): Promise<DownloadFileResult> {
  const existing = inFlight.get(opts.dest);
  if (existing) {
    if (opts.onProgress) existing.listeners.add(opts.onProgress);
    return existing.promise;
  }
  const listeners = new Set<(p: FileProgress) => void>();
  if (opts.onProgress) listeners.add(opts.onProgress);
  const fanOut = (p: FileProgress) => {
    for (const l of listeners) l(p);
  };
  const promise = downloadFileExclusive({ ...opts, onProgress: fanOut }).finally(() => inFlight.delete(opts.dest));
  inFlight.set(opts.dest, { promise, listeners });
  return promise;
}

/** The cross-process half of downloadFile: lock file, then download (no in-process sharing). */
export async function downloadFileExclusive(opts: DownloadFileOptions): Promise<DownloadFileResult> {
  await mkdir(dirname(opts.dest), { recursive: true }).catch((e) => {
    throw localError(opts.label, e, `cannot create directory ${dirname(opts.dest)}`);
  });
  let release: () => Promise<void>;
  try {
    release = await acquireFileLock(lockPath(opts.dest), { signal: opts.signal, pollMs: opts.lockPollMs });
  } catch (e) {
    if (opts.signal?.aborted) throw abortedError(opts.label, 0);
    throw localError(opts.label, e, `cannot take lock ${lockPath(opts.dest)}`);
  }
  try {
    const present = await reuseExisting(opts);
    if (present) return present;
    return await transfer(opts, false);
  } finally {
    await release();
  }
}

async function reuseExisting(opts: DownloadFileOptions): Promise<DownloadFileResult | null> {
  const st = await stat(opts.dest).catch(() => null);
  if (!st) return null;
  if (opts.expectedSize !== null && st.size !== opts.expectedSize) {
    await unlink(opts.dest);
    return null;
  }
  const known = await opts.knownGood?.();
  if (known) return { ...known, resumedFrom: 0, reused: true };
  opts.onProgress?.({ phase: 'verify', bytesDone: 0, bytesTotal: st.size, bytesPerSecond: 0, etaSeconds: null });
  const { sha256, size } = await sha256File(opts.dest, undefined, opts.signal);
  if (opts.expectedSha256 !== null && sha256 !== opts.expectedSha256) {
    await unlink(opts.dest);
    return null;
  }
  return { sha256, size, resumedFrom: 0, reused: true };
}

function abortedError(label: string, partBytes: number): ModelDownloadError {
  return new ModelDownloadError(
    'aborted',
    label,
    `${label}: download cancelled${partBytes > 0 ? `; ${formatBytes(partBytes)} kept in the .part file for resume` : ''}`,
    { resumable: partBytes > 0 },
  );
}

function localError(label: string, e: unknown, what: string): ModelDownloadError {
  if (isDiskFullError(e)) return new ModelDownloadError('disk-full', label, `${label}: disk full (${what})`, { cause: e });
  return new ModelDownloadError('io', label, `${label}: ${what}: ${(e as Error).message}`, { cause: e });
}

async function sizeOf(path: string): Promise<number> {
  const st = await stat(path).catch(() => null);
  return st ? st.size : 0;
}

async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Parse `Content-Range: bytes start-end/total` (total may be `*`). */
function parseContentRange(h: string | null): { start: number; total: number | null } | null {
  const m = h ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(h.trim()) : null;
  if (!m) return null;
  return { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

async function ensureSpace(opts: DownloadFileOptions, needed: number): Promise<void> {
  if (needed <= 0) return;
  const probe = opts.freeSpace ?? freeBytes;
  const dir = dirname(opts.dest);
  let free: number;
  try {
    free = await probe(dir);
  } catch {
    return; // a file system that cannot answer statfs: let writes report ENOSPC instead
  }
  if (free < needed) {
    throw new ModelDownloadError(
      'disk-full',
      opts.label,
      `${opts.label}: not enough free disk space in ${dir}: needs ${formatBytes(needed)}, ${formatBytes(free)} free`,
    );
  }
}

/** The HTTP part. `restarted` guards the single retry from scratch after an unusable .part. */
async function transfer(opts: DownloadFileOptions, restarted: boolean): Promise<DownloadFileResult> {
  const { label, dest } = opts;
  const part = partPath(dest);
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetch ?? fetch;

  let partSize = await sizeOf(part);
  if (opts.expectedSize !== null && partSize > opts.expectedSize) {
    await removeQuietly(part);
    partSize = 0;
  }
  if (opts.expectedSize !== null) await ensureSpace(opts, opts.expectedSize - partSize);

  // identity: a compressed body would make Content-Length and Range offsets meaningless.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', ...opts.headers };
  if (partSize > 0) headers.range = `bytes=${partSize}-`;

  let res: Response;
  try {
    res = await doFetch(opts.url, { headers, signal: opts.signal, redirect: 'follow' });
  } catch (e) {
    if (opts.signal?.aborted) throw abortedError(label, partSize);
    const host = new URL(opts.url).host;
    if (isOfflineError(e)) {
      throw new ModelDownloadError(
        'offline',
        label,
        `${label}: cannot reach the model hub at ${host} (${errorCode(e)}): check the network connection, or point VACE_HUB_URL at a reachable hub or mirror`,
        { cause: e, resumable: partSize > 0 },
      );
    }
    throw new ModelDownloadError(
      'interrupted',
      label,
      `${label}: request to ${host} failed (${errorCode(e) ?? (e as Error).message}); run the download again${partSize > 0 ? ' to resume' : ''}`,
      { cause: e, resumable: partSize > 0 },
    );
  }

  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel().catch(() => undefined);
    await removeQuietly(part); // nothing to resume from a file that is not there
    throw new ModelDownloadError('not-found', label, `${label}: not found on the hub (HTTP ${res.status}) at ${opts.url}: check the repository, revision and file name`);
  }

  let append = false;
  let serverTotal: number | null = null;
  if (res.status === 416 && partSize > 0) {
    await res.body?.cancel().catch(() => undefined);
    // 416 carries `Content-Range: bytes */<total>`: if the .part already has every byte, keep it.
    const m = /^bytes \*\/(\d+)$/.exec(res.headers.get('content-range')?.trim() ?? '');
    const total = opts.expectedSize ?? (m ? Number(m[1]) : null);
    if (total === partSize) return finish(opts, partSize, partSize, total);
    if (restarted) throw new ModelDownloadError('http', label, `${label}: the hub refused the byte range twice (HTTP 416) at ${opts.url}`);
    await removeQuietly(part);
    return transfer(opts, true);
  } else if (res.status === 206) {
    const cr = parseContentRange(res.headers.get('content-range'));
    if (!cr || cr.start !== partSize) {
      // The server answered a different range than asked: the .part cannot be trusted to line up.
      await res.body?.cancel().catch(() => undefined);
      if (restarted) throw new ModelDownloadError('http', label, `${label}: the hub sent an unexpected byte range (${res.headers.get('content-range')}) at ${opts.url}`);
      await removeQuietly(part);
      return transfer(opts, true);
    }
    append = true;
    serverTotal = cr.total;
  } else if (res.ok) {
    // 200 to a Range request means the server ignored it: start over.
    const len = res.headers.get('content-length');
    serverTotal = len !== null && !res.headers.get('content-encoding') ? Number(len) : null;
    partSize = 0;
  } else {
    await res.body?.cancel().catch(() => undefined);
    const hint = res.status === 401 || res.status === 403 ? ' (gated or private repository: set HF_TOKEN)' : '';
    throw new ModelDownloadError('http', label, `${label}: the hub answered HTTP ${res.status} ${res.statusText}${hint} at ${opts.url}`, {
      resumable: partSize > 0,
    });
  }

  if (opts.expectedSize !== null && serverTotal !== null && serverTotal !== opts.expectedSize) {
    await res.body?.cancel().catch(() => undefined);
    await removeQuietly(part);
    throw new ModelDownloadError(
      'size-mismatch',
      label,
      `${label}: the hub's file is ${serverTotal} bytes but the registry expects ${opts.expectedSize}: the file changed upstream; update the registry entry`,
    );
  }
  const total = opts.expectedSize ?? serverTotal;
  if (opts.expectedSize === null && total !== null) {
    try {
      await ensureSpace(opts, total - partSize);
    } catch (e) {
      await res.body?.cancel().catch(() => undefined);
      throw e;
    }
  }
  if (!res.body) throw new ModelDownloadError('http', label, `${label}: the hub sent no body at ${opts.url}`, { resumable: partSize > 0 });

  const hash = createHash('sha256');
  const meter = new RateMeter();
  const interval = opts.progressIntervalMs ?? 200;
  const emit = (phase: ProgressPhase, done: number) => {
    meter.add(now(), done);
    opts.onProgress?.({ phase, bytesDone: done, bytesTotal: total, bytesPerSecond: meter.bytesPerSecond(), etaSeconds: meter.etaSeconds(done, total) });
  };

  if (append) {
    opts.onProgress?.({ phase: 'resume', bytesDone: partSize, bytesTotal: total, bytesPerSecond: 0, etaSeconds: null });
    await hashFileInto(hash, part, undefined, opts.signal); // the kept prefix is part of the digest
  } else {
    opts.onProgress?.({ phase: 'start', bytesDone: 0, bytesTotal: total, bytesPerSecond: 0, etaSeconds: null });
  }

  let writer: FileWriter;
  try {
    writer = await (opts.openWriter ?? openFileWriter)(part, append ? 'append' : 'truncate');
  } catch (e) {
    await res.body.cancel().catch(() => undefined);
    throw localError(label, e, `cannot open ${part} for writing`);
  }

  let done = partSize;
  meter.add(now(), done);
  let lastEmit = now();
  const closeWriter = async () => {
    await writer.sync().catch(() => undefined);
    await writer.close().catch(() => undefined);
  };

  try {
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      if (total !== null && done + chunk.length > total) {
        throw new ModelDownloadError('size-mismatch', label, `${label}: the hub sent more than the expected ${total} bytes`);
      }
      try {
        await writer.write(chunk);
      } catch (e) {
        throw localError(label, e, `writing ${part}`);
      }
      hash.update(chunk);
      done += chunk.length;
      if (now() - lastEmit >= interval) {
        lastEmit = now();
        emit('download', done);
      }
    }
  } catch (e) {
    await closeWriter();
    if (e instanceof ModelDownloadError) {
      if (e.code === 'disk-full' || e.code === 'size-mismatch') {
        // A full disk is not helped by keeping gigabytes of .part; an oversize body is garbage.
        await removeQuietly(part);
        if (e.code === 'disk-full') {
          throw new ModelDownloadError('disk-full', label, `${e.message}; the partial file was removed to free the space`, { cause: e.cause });
        }
      }
      throw e;
    }
    if (done === 0) await removeQuietly(part); // an empty .part is nothing to resume
    if (opts.signal?.aborted) throw abortedError(label, done);
    // Bytes still queued in the errored body stream are discarded by fetch; the .part holds
    // exactly `done` bytes, and the Range request of the next run starts there.
    throw new ModelDownloadError(
      'interrupted',
      label,
      `${label}: connection lost after ${formatBytes(done)}${total !== null ? ` of ${formatBytes(total)}` : ''} (${errorCode(e) ?? (e as Error).message}); run the download again to resume`,
      { cause: e, resumable: done > 0 },
    );
  }
  await closeWriter();
  emit('download', done);

  if (total !== null && done < total) {
    throw new ModelDownloadError('interrupted', label, `${label}: the hub closed the connection after ${formatBytes(done)} of ${formatBytes(total)}; run the download again to resume`, {
      resumable: done > 0,
    });
  }
  return finish(opts, done, partSize, total, hash.digest('hex'));
}

/** Verify the complete .part and rename it into place. */
async function finish(
  opts: DownloadFileOptions,
  size: number,
  resumedFrom: number,
  total: number | null,
  digest?: string,
): Promise<DownloadFileResult> {
  const { label, dest } = opts;
  const part = partPath(dest);
  if (digest === undefined) {
    opts.onProgress?.({ phase: 'verify', bytesDone: 0, bytesTotal: size, bytesPerSecond: 0, etaSeconds: null });
    digest = (await sha256File(part, undefined, opts.signal)).sha256;
  }
  if (opts.expectedSha256 !== null && digest !== opts.expectedSha256) {
    await removeQuietly(part);
    throw new ModelDownloadError(
      'checksum-mismatch',
      label,
      `${label}: checksum mismatch: expected sha256 ${opts.expectedSha256}, got ${digest}; the downloaded file was removed`,
    );
  }
  if (opts.expectedSize !== null && size !== opts.expectedSize) {
    await removeQuietly(part);
    throw new ModelDownloadError('size-mismatch', label, `${label}: got ${size} bytes, expected ${opts.expectedSize}; the downloaded file was removed`);
  }
  try {
    await rename(part, dest);
  } catch (e) {
    throw localError(label, e, `cannot move ${part} to ${dest}`);
  }
  opts.onProgress?.({ phase: 'done', bytesDone: size, bytesTotal: total ?? size, bytesPerSecond: 0, etaSeconds: 0 });
  return { sha256: digest, size, resumedFrom, reused: false };
}
