/**
 * Positioned exact-range reads (src/model/weights/read-range.ts): the bytes of exactly the range
 * asked, a range past the end of the file failing with the file, the range's name and the byte
 * where the data ran out, zero-length ranges, and the reason the module exists — readSync may
 * return fewer bytes than asked, so the reader must loop (simulated here by capping every read).
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';

const io = vi.hoisted(() => ({ maxChunk: Infinity, reads: 0, opens: 0, closes: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const readSync = (fd: number, buf: NodeJS.ArrayBufferView, offset: number, length: number, position: number | null) => {
    io.reads++;
    return fs.readSync(fd, buf, offset, Math.min(length, io.maxChunk), position);
  };
  const openSync = (...args: Parameters<typeof fs.openSync>) => {
    io.opens++;
    return fs.openSync(...args);
  };
  const closeSync = (fd: number) => {
    io.closes++;
    fs.closeSync(fd);
  };
  return { ...fs, default: { ...fs, readSync, openSync, closeSync }, readSync, openSync, closeSync };
});

const { readFileRange, readRange } = await import('../../../../src/model/weights/read-range.ts');

const dir = mkdtempSync(join(tmpdir(), 'vace-read-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  io.maxChunk = Infinity;
  io.reads = 0;
});

const SIZE = 1000;
const content = Buffer.from(Array.from({ length: SIZE }, (_, i) => (i * 7 + 3) & 0xff));
const file = join(dir, 'data.bin');
writeFileSync(file, content);

describe('readRange', () => {
  it('returns exactly the bytes of the range, in a fresh buffer starting at byte offset 0', () => {
    const fd = openSync(file, 'r');
    try {
      for (const [pos, len] of [
        [0, 1],
        [0, SIZE],
        [13, 200],
        [SIZE - 1, 1],
        [512, 488],
      ] as const) {
        const b = readRange(fd, pos, len, file, 'test range');
        expect(b.length).toBe(len);
        expect(b.byteOffset).toBe(0);
        expect(b.equals(content.subarray(pos, pos + len)), `[${pos}, ${pos + len})`).toBe(true);
      }
      // Float32 views need an aligned offset; the result must allow one.
      expect(new Float32Array(readRange(fd, 3, 8, file, 'x').buffer, 0, 2).length).toBe(2);
    } finally {
      closeSync(fd);
    }
  });

  it('loops over short reads until the range is complete', () => {
    io.maxChunk = 7;
    const fd = openSync(file, 'r');
    try {
      const b = readRange(fd, 5, 100, file, 'chunked');
      expect(b.equals(content.subarray(5, 105))).toBe(true);
      expect(io.reads).toBe(Math.ceil(100 / 7));
    } finally {
      closeSync(fd);
    }
  });

  it('zero-length ranges are empty without reading, even at or past the end of the file', () => {
    const fd = openSync(file, 'r');
    try {
      for (const pos of [0, SIZE, SIZE + 50]) expect(readRange(fd, pos, 0, file, 'empty').length).toBe(0);
      expect(io.reads).toBe(0);
    } finally {
      closeSync(fd);
    }
  });

  it('a range that runs past the end of the file names the file, the range and where the data ended', () => {
    const fd = openSync(file, 'r');
    try {
      expect(() => readRange(fd, SIZE - 10, 20, file, '"blocks.0.weight"')).toThrow(`${file}: short read of "blocks.0.weight" at byte ${SIZE} (truncated?)`);
      expect(() => readRange(fd, SIZE + 100, 4, file, 'tail')).toThrow(`${file}: short read of tail at byte ${SIZE + 100} (truncated?)`);
      io.maxChunk = 3; // the short-read loop still stops at the end of the file
      expect(() => readRange(fd, SIZE - 5, 10, file, 'chunked tail')).toThrow(`short read of chunked tail at byte ${SIZE}`);
    } finally {
      closeSync(fd);
    }
  });
});

describe('readFileRange', () => {
  it('opens, reads the exact range and closes the file', () => {
    const before = { opens: io.opens, closes: io.closes };
    io.maxChunk = 64;
    expect(readFileRange(file, 100, 300, 'initializer "w"').equals(content.subarray(100, 400))).toBe(true);
    expect(io.opens - before.opens).toBe(1);
    expect(io.closes - before.closes).toBe(1);
  });

  it('closes the file when the range is past its end, with the path in the error', () => {
    const before = { opens: io.opens, closes: io.closes };
    expect(() => readFileRange(file, 990, 20, 'initializer "w"')).toThrow(`${file}: short read of initializer "w" at byte ${SIZE} (truncated?)`);
    expect(io.closes - before.closes).toBe(io.opens - before.opens);
  });

  it('a missing file fails in open, naming the path', () => {
    const missing = join(dir, 'nope.bin');
    expect(() => readFileRange(missing, 0, 4, 'x')).toThrow(missing);
  });
});
