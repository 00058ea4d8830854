import { statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freeBytes } from '../../../src/weight-store/disk.ts';
import { tempModelsDir } from '../../support/weight-store.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempModelsDir()));
afterEach(() => cleanup());

/** Other processes write to the same file system meanwhile, so two looks agree only roughly. */
const SLACK = 256 * 1024 * 1024;

describe('freeBytes', () => {
  it('is the space available to this user (bavail × bsize, not bfree) on the directory\'s file system', async () => {
    const s = await statfs(dir);
    const free = await freeBytes(dir);
    expect(Number.isInteger(free)).toBe(true);
    expect(free).toBeGreaterThan(0);
    expect(Math.abs(free - Number(s.bavail) * Number(s.bsize))).toBeLessThan(SLACK);
  });

  it('asks the nearest existing ancestor for a download target that does not exist yet', async () => {
    const ancestor = await freeBytes(dir);
    const nested = await freeBytes(join(dir, 'org', 'repo', 'not-yet'));
    expect(Math.abs(nested - ancestor)).toBeLessThan(SLACK);
  });

  it('rethrows errors other than a missing directory (a file in the way)', async () => {
    await writeFile(join(dir, 'file'), 'x');
    await expect(freeBytes(join(dir, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});
