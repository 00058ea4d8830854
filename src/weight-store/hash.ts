/** Streaming sha256 of a file (model files are many GB: never read them whole). */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

const CHUNK = 4 * 1024 * 1024;

/** Feed the file's bytes into `hash`; `onBytes` gets the cumulative count after each chunk. */
export async function hashFileInto(hash: Hash, path: string, onBytes?: (done: number) => void, signal?: AbortSignal): Promise<number> {
  let done = 0;
  const stream = createReadStream(path, { highWaterMark: CHUNK, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    done += chunk.length;
    onBytes?.(done);
  }
  return done;
}

export async function sha256File(path: string, onBytes?: (done: number) => void, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  const size = await hashFileInto(hash, path, onBytes, signal);
  return { sha256: hash.digest('hex'), size };
}
