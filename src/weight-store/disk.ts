/** Free-space look-up for the download target (node:fs statfs). */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';

export type FreeSpaceProbe = (dir: string) => Promise<number>;

/** Bytes available to this (unprivileged) user on the file system holding `dir`.
 *  `dir` may not exist yet: the nearest existing ancestor is asked instead. */
export const freeBytes: FreeSpaceProbe = async (dir) => {
  let d = dir;
  for (;;) {
    try {
      const s = await statfs(d);
      return Number(s.bavail) * Number(s.bsize);
    } catch (e) {
      const parent = dirname(d);
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || parent === d) throw e;
      d = parent;
    }
  }
};
