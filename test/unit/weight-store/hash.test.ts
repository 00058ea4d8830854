import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashFileInto, sha256File } from '../../../src/weight-store/hash.ts';
import { generatedBytes, sha256, tempModelsDir } from '../../support/weight-store.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempModelsDir()));
afterEach(() => cleanup());

describe('sha256File', () => {
  it('gives the published digests of known byte strings', async () => {
    // FIPS 180-2 test vector "abc", and the digest of no bytes at all.
    await writeFile(join(dir, 'abc'), 'abc');
    await writeFile(join(dir, 'empty'), '');
    expect(await sha256File(join(dir, 'abc'))).toEqual({ sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', size: 3 });
    expect(await sha256File(join(dir, 'empty'))).toEqual({ sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', size: 0 });
  });

  it('hashes a file read in several chunks to the digest of its whole bytes, reporting cumulative progress', async () => {
    const data = generatedBytes(9 * 1024 * 1024 + 123, 5); // more than two 4 MiB read chunks
    const path = join(dir, 'big.bin');
    await writeFile(path, data);
    const progress: number[] = [];
    const r = await sha256File(path, (done) => progress.push(done));
    expect(r).toEqual({ sha256: sha256(data), size: data.length });
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toBe(data.length);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThan(progress[i - 1]!);
  });

  it('rejects for a missing file or a directory', async () => {
    await expect(sha256File(join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(join(dir, 'sub'));
    await expect(sha256File(join(dir, 'sub'))).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('stops with the abort reason when its signal is aborted', async () => {
    const path = join(dir, 'big.bin');
    await writeFile(path, generatedBytes(9 * 1024 * 1024, 6));
    const ctl = new AbortController();
    const hashing = sha256File(path, () => ctl.abort(), ctl.signal);
    await expect(hashing).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('hashFileInto', () => {
  it('continues a digest already fed with earlier bytes (a resumed download: kept prefix, then the rest)', async () => {
    const data = generatedBytes(100_000, 7);
    const prefix = data.subarray(0, 30_000);
    await writeFile(join(dir, 'w.bin.part'), prefix);
    const hash = createHash('sha256');
    expect(await hashFileInto(hash, join(dir, 'w.bin.part'))).toBe(prefix.length);
    hash.update(data.subarray(30_000));
    expect(hash.digest('hex')).toBe(sha256(data));
  });
});
