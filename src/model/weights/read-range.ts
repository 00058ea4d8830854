/**
 * Positioned reads of exact byte ranges: readSync may return fewer bytes than asked, so every
 * reader of weight files loops until the range is complete or the file ends.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const MAX_READ = 1 << 30;

/** `length` bytes at `position` of an open file; `what` names the range in the short-read error. */
export function readRange(fd: number, position: number, length: number, file: string, what: string): Buffer {
  // Buffer.alloc never hands out a pooled slice, so the data starts at byteOffset 0.
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    // One read may not exceed 2 GiB − 1 bytes in Node.
    const n = readSync(fd, buf, done, Math.min(MAX_READ, length - done), position + done);
    if (n <= 0) throw new Error(`${file}: short read of ${what} at byte ${position + done} (truncated?)`);
    done += n;
  }
  return buf;
}

/** Same, opening and closing the file. */
export function readFileRange(path: string, position: number, length: number, what: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readRange(fd, position, length, path, what);
  } finally {
    closeSync(fd);
  }
}
