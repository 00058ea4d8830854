/**
 * <modelsDir>/.verified.json: the sha256 we computed for each file, with the size and mtime it had
 * then. It makes `status` cheap (no re-hashing of unchanged files) and carries trust-on-first-use
 * hashes for files whose sha256 the registry does not know.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const VERIFIED_FILE = '.verified.json';

export interface VerifiedEntry {
  sha256: string;
  size: number;
  mtimeMs: number;
  verifiedAt: string;
  /** 'registry': matched the registry's sha256. 'first-use': registry had none; this hash is the reference now. */
  trust: 'registry' | 'first-use';
}

type Entries = Record<string, VerifiedEntry>;

// Writes from concurrent downloads in this process are serialised per store file.
const queues = new Map<string, Promise<unknown>>();

export class VerifiedStore {
  readonly path: string;
  readonly #dir: string;

  constructor(modelsDir: string) {
    this.#dir = modelsDir;
    this.path = join(modelsDir, VERIFIED_FILE);
  }

  async all(): Promise<Entries> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw e;
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new Error(`${this.path} is not valid JSON; delete it and run "models verify" to rebuild it`);
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      throw new Error(`${this.path} must hold an object keyed by file path; delete it and run "models verify" to rebuild it`);
    }
    return data as Entries;
  }

  async get(local: string): Promise<VerifiedEntry | undefined> {
    return (await this.all())[local];
  }

  set(local: string, entry: VerifiedEntry): Promise<void> {
    return this.#update((e) => {
      e[local] = entry;
    });
  }

  delete(local: string): Promise<void> {
    return this.#update((e) => {
      delete e[local];
    });
  }

  #update(change: (e: Entries) => void): Promise<void> {
    const prev = queues.get(this.path) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        const entries = await this.all();
        change(entries);
        await mkdir(this.#dir, { recursive: true });
        // Write-then-rename so a crash never leaves a truncated store.
        const tmp = `${this.path}.${process.pid}.${Date.now()}.tmp`;
        await writeFile(tmp, JSON.stringify(entries, null, 2) + '\n');
        await rename(tmp, this.path);
      });
    queues.set(this.path, next);
    return next;
  }
}
