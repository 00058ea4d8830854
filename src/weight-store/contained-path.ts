/**
 * A file's place under the models folder, checked to stay there twice: lexically (no '..' or
 * absolute path gets out) and on disk (no symbolic link on the way leads out: not a linked
 * folder, not the file itself, not its .part or .lock sibling that downloads write through).
 * A models folder that is itself a link (to a bigger disk) is fine: what counts is where it leads.
 */
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';

export class PathEscapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

const MAX_LINKS = 40;

/**
 * Where `p` really is: its realpath, or, for a path that does not exist (yet), the realpath of its
 * deepest existing ancestor joined with the rest. A dangling link counts as its target, since
 * creating the file would create the target.
 */
export function realLocation(p: string, links = 0): string {
  if (links > MAX_LINKS) throw new PathEscapeError(`too many symbolic links at ${p}`);
  try {
    return realpathSync(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
  }
  let link = false;
  try {
    link = lstatSync(p).isSymbolicLink();
  } catch {
    /* does not exist: look at its parent */
  }
  if (link) return realLocation(resolve(dirname(p), readlinkSync(p)), links + 1);
  const parent = dirname(p);
  return parent === p ? p : join(realLocation(parent, links), basename(p));
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The absolute path of `local` under `root`; throws a PathEscapeError when it, or `local` plus
 * any of `suffixes` (e.g. '.part'), leads outside `root`.
 */
export function containedPath(root: string, local: string, suffixes: readonly string[] = []): string {
  const rootAbs = resolve(root);
  const dest = resolve(rootAbs, local);
  if (!dest.startsWith(rootAbs + sep)) throw new PathEscapeError(`model file "${local}" resolves outside the models directory ${rootAbs}`);
  const realRoot = realLocation(rootAbs);
  for (const p of [dest, ...suffixes.map((s) => dest + s)]) {
    const real = realLocation(p);
    if (!inside(realRoot, real) || real === realRoot) {
      throw new PathEscapeError(`model file "${local}" leads outside the models directory ${rootAbs} through a symbolic link (${p} → ${real})`);
    }
  }
  return dest;
}
