/**
 * A lock file next to a download target, so two processes (say a CLI download and the server's
 * models panel) never write the same .part file. Stale locks (holder process gone) are broken.
 */
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';

export interface LockOptions {
  signal?: AbortSignal;
  pollMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (holder: LockHolder) => void;
}

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a lock file says: its holder, 'unreadable' (not a holder record) or 'missing' (it is gone). */
async function readLock(path: string): Promise<LockHolder | 'unreadable' | 'missing'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.host === 'string' ? (h as LockHolder) : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The live holder of `lockPath`, or null when it is free or stale. */
export async function lockHolder(lockPath: string): Promise<LockHolder | null> {
  const holder = await readLock(lockPath);
  if (typeof holder === 'string') return null;
  return holder.host !== hostname() || processAlive(holder.pid) ? holder : null;
}

/** Wait until we hold `lockPath`; resolves to the release function. */
export async function acquireFileLock(lockPath: string, opts: LockOptions = {}): Promise<() => Promise<void>> {
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  let waited = false;
  let unreadableBefore = false;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    try {
      const fh = await open(lockPath, 'wx');
      try {
        await fh.writeFile(JSON.stringify(me));
      } finally {
        await fh.close();
      }
      return async () => {
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = await readLock(lockPath);
    if (holder === 'missing') {
      unreadableBefore = false; // released between our create and our read: try again at once
      continue;
    }
    // A lock from another host cannot be checked. An unreadable one may be half-written by a holder
    // that has just created it, so it is treated as live once; still unreadable a poll later, its
    // writer died between create and write, and it would otherwise block this file for good.
    const stale = holder === 'unreadable' ? unreadableBefore : holder.host === me.host && !processAlive(holder.pid);
    unreadableBefore = holder === 'unreadable';
    if (stale) {
      // Gone already is fine (someone else broke it); failing to remove it otherwise must not spin.
      await unlink(lockPath).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      unreadableBefore = false;
      continue;
    }
    if (!waited && holder !== 'unreadable') {
      waited = true;
      opts.onWait?.(holder);
    }
    await sleep(opts.pollMs ?? 250, opts.signal);
  }
}
