import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, lockHolder, type LockHolder } from '../../../src/weight-store/lock.ts';
import { tempModelsDir } from '../../support/weight-store.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempModelsDir()));
afterEach(() => cleanup());

/** The pid of a process that has already exited (so a lock naming it is stale). */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const holderRecord = (h: Partial<LockHolder>) => JSON.stringify({ pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), ...h });
/** Settles to 'pending' when `p` has not settled within `ms`. */
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then(() => 'settled' as const, () => 'rejected' as const), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe('acquireFileLock', () => {
  it('writes this process as the holder and removes the file on release', async () => {
    const path = join(dir, 'w.bin.lock');
    const release = await acquireFileLock(path);
    const written = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    expect(written.pid).toBe(process.pid);
    expect(written.host).toBe(hostname());
    expect(Number.isNaN(Date.parse(written.startedAt))).toBe(false);
    expect(await lockHolder(path)).toEqual(written);
    await release();
    expect(existsSync(path)).toBe(false);
    expect(await lockHolder(path)).toBeNull();
    await release(); // a second release is harmless
  });

  it('makes a second taker wait until the first releases, telling it once who holds the lock', async () => {
    const path = join(dir, 'w.bin.lock');
    const releaseFirst = await acquireFileLock(path);
    const waits: LockHolder[] = [];
    const second = acquireFileLock(path, { pollMs: 10, onWait: (h) => waits.push(h) });
    expect(await within(second, 100)).toBe('pending');
    expect(waits).toHaveLength(1);
    expect(waits[0]!.pid).toBe(process.pid);
    await releaseFirst();
    const releaseSecond = await second;
    expect(existsSync(path)).toBe(true);
    await releaseSecond();
    expect(existsSync(path)).toBe(false);
  });

  it('breaks a lock whose holder process on this host is gone', async () => {
    const path = join(dir, 'w.bin.lock');
    await writeFile(path, holderRecord({ pid: deadPid() }));
    expect(await lockHolder(path)).toBeNull();
    const waits: LockHolder[] = [];
    const release = await acquireFileLock(path, { pollMs: 10, onWait: (h) => waits.push(h) });
    expect(waits).toEqual([]);
    expect((JSON.parse(await readFile(path, 'utf8')) as LockHolder).pid).toBe(process.pid);
    await release();
  });

  it('never breaks a lock held on another host (its pid cannot be checked), and stops waiting on abort', async () => {
    const path = join(dir, 'w.bin.lock');
    await writeFile(path, holderRecord({ pid: deadPid(), host: `not-${hostname()}` }));
    expect((await lockHolder(path))?.host).toBe(`not-${hostname()}`);
    const ctl = new AbortController();
    const taking = acquireFileLock(path, { pollMs: 10, signal: ctl.signal });
    expect(await within(taking, 100)).toBe('pending');
    ctl.abort(new Error('user cancelled'));
    await expect(taking).rejects.toThrow('user cancelled');
    expect(existsSync(path)).toBe(true); // still the other host's
  });

  it('breaks a lock that stays unreadable across a poll (its writer died between create and write)', async () => {
    const path = join(dir, 'w.bin.lock');
    await writeFile(path, ''); // what a crash right after open('wx') leaves
    expect(await lockHolder(path)).toBeNull();
    const release = await acquireFileLock(path, { pollMs: 10 });
    expect((JSON.parse(await readFile(path, 'utf8')) as LockHolder).pid).toBe(process.pid);
    await release();
  });

  it('gives a lock that is half-written when first seen the time to be completed', async () => {
    const path = join(dir, 'w.bin.lock');
    await writeFile(path, '{"pid":');
    const taking = acquireFileLock(path, { pollMs: 300 });
    expect(await within(taking, 50)).toBe('pending'); // it has read the half-written record once
    // The other holder finishes writing before the next poll: it must then be respected, not broken.
    await writeFile(path, holderRecord({ host: `not-${hostname()}` }));
    expect(await within(taking, 700)).toBe('pending');
    expect((await lockHolder(path))?.host).toBe(`not-${hostname()}`);
    await writeFile(path, holderRecord({ pid: deadPid() }));
    const release = await taking;
    await release();
  });

  it('rejects with the file system error when the lock cannot be created at all', async () => {
    await expect(acquireFileLock(join(dir, 'no-such-dir', 'w.bin.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects instead of spinning when a stale-looking lock cannot be removed', async () => {
    const path = join(dir, 'w.bin.lock');
    await mkdir(path); // a directory: open('wx') says EEXIST, it reads as unreadable, unlink fails
    await expect(acquireFileLock(path, { pollMs: 10 })).rejects.toMatchObject({ code: expect.stringMatching(/^E(ISDIR|PERM)$/) });
  });
});
