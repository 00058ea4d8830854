/**
 * The zip reader (src/model/weights/zip.ts): archives laid out like torch.save's (written by the
 * test's torch-save writer, plain and ZIP64, stored and deflated entries), one written by Python's
 * zipfile (an independent writer, with an archive comment), ranged reads inside entries, and
 * truncated or corrupt archives failing with a message that names the file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ZipArchive, openZip } from '../../../../src/model/weights/zip.ts';
import { zipBytes, type ZipInput } from '../../../support/torch-save-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileCounter = 0;
function write(bytes: Uint8Array, name = `a${++fileCounter}.zip`): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const pickle = Buffer.from('\x80\x02}q\x00.', 'latin1');
const storage = Buffer.from(Float32Array.from({ length: 50 }, (_, i) => i / 3).buffer);
const text = Buffer.from('the quick brown fox jumps over the lazy dog. '.repeat(20));
const ENTRIES: ZipInput[] = [
  { name: 'archive/data.pkl', data: pickle },
  { name: 'archive/data/0', data: storage },
  { name: 'archive/notes.txt', data: text, deflate: true },
  { name: 'archive/empty', data: new Uint8Array(0) },
  { name: 'archive/version', data: Buffer.from('3\n') },
];

/** Python 3 zipfile: plain.txt (stored), dir/deflated.bin (deflate, bytes 0…255 ×4), archive comment. */
const PYTHON_ZIP =
  'UEsDBBQAAAAAAAAAIVCDGA0NFAAAABQAAAAJAAAAcGxhaW4udHh0aGVsbG8sIHN0b3JlZCBlbnRyeQpQSwMEFAAAAAgAAAAhUCZMC7cYAQAAAAQAABAAAABkaXIvZGVmbGF0ZWQuYmluY2BkYmZhZWPn4OTi5uHl4xcQFBIWERUTl5CUkpaRlZNXUFRSVlFVU9fQ1NLW0dXTNzA0MjYxNTO3sLSytrG1s3dwdHJ2cXVz9/D08vbx9fMPCAwKDgkNC4+IjIqOiY2LT0hMSk5JTUvPyMzKzsnNyy8oLCouKS0rr6isqq6pratvaGxqbmlta+/o7Oru6e3rnzBx0uQpU6dNnzFz1uw5c+fNX7Bw0eIlS5ctX7Fy1eo1a9et37Bx0+YtW7dt37Fz1+49e/ftP3Dw0OEjR48dP3Hy1OkzZ8+dv3Dx0uUrV69dv3Hz1u07d+/df/Dw0eMnT589f/Hy1es3b9+9//Dx0+cvX799//Hz1+8/f//9Zxj1/6j/R7D/AVBLAQIUAxQAAAAAAAAAIVCDGA0NFAAAABQAAAAJAAAAAAAAAAAAAACAAQAAAABwbGFpbi50eHRQSwECFAMUAAAACAAAACFQJkwLtxgBAAAABAAAEAAAAAAAAAAAAAAAgAE7AAAAZGlyL2RlZmxhdGVkLmJpblBLBQYAAAAAAgACAHUAAACBAQAAFgBtYWRlIGJ5IHB5dGhvbiB6aXBmaWxl';

function expectEntries(z: ZipArchive): void {
  expect(z.names()).toEqual(ENTRIES.map((e) => e.name));
  for (const e of ENTRIES) {
    expect(z.has(e.name)).toBe(true);
    const entry = z.entry(e.name);
    expect(entry.method).toBe(e.deflate ? 8 : 0);
    expect(entry.size).toBe(e.data.length);
    if (!e.deflate) expect(entry.compressedSize).toBe(e.data.length);
    else expect(entry.compressedSize).toBeLessThan(e.data.length);
    expect(z.read(e.name).equals(Buffer.from(e.data)), e.name).toBe(true);
  }
}

describe('ZipArchive on torch.save-style archives', () => {
  for (const zip64 of [false, true]) {
    it(`${zip64 ? 'ZIP64' : 'plain'}: lists every entry in order and reads stored and deflated contents`, () => {
      const z = openZip(write(zipBytes(ENTRIES, { zip64 })));
      try {
        expect(z.size).toBe(readFileSync(z.path).length);
        expectEntries(z);
      } finally {
        z.close();
      }
    });
  }

  it('reads byte ranges inside stored and deflated entries; every result starts at byte offset 0', () => {
    const z = new ZipArchive(write(zipBytes(ENTRIES)));
    try {
      for (const [name, data] of [
        ['archive/data/0', storage],
        ['archive/notes.txt', text],
      ] as const) {
        for (const [off, len] of [
          [0, 4],
          [3, 17],
          [data.length - 5, 5],
          [data.length, 0],
          [8, 0],
        ] as const) {
          const b = z.read(name, off, len);
          expect(b.equals(data.subarray(off, off + len)), `${name} [${off}, ${off + len})`).toBe(true);
          expect(b.byteOffset).toBe(0);
        }
        expect(z.read(name, 10).equals(data.subarray(10)), `${name} from 10 to the end`).toBe(true);
      }
      // A stored float32 storage read at an offset can be viewed as floats directly.
      const floats = new Float32Array(z.read('archive/data/0', 8, 12).buffer, 0, 3);
      expect(Array.from(floats)).toEqual([2 / 3, 1, 4 / 3].map(Math.fround));
      expect(z.read('archive/empty').length).toBe(0);
    } finally {
      z.close();
    }
  });

  it('reads outside an entry, unknown entries and reads after close fail naming the file', () => {
    const path = write(zipBytes(ENTRIES));
    const z = openZip(path);
    expect(() => z.read('archive/version', 1, 2)).toThrow(`${path}: read of bytes [1, 3) is outside entry "archive/version" (2 bytes)`);
    expect(() => z.read('archive/version', -1, 1)).toThrow(/is outside entry/);
    expect(() => z.read('archive/notes.txt', 0, text.length + 1)).toThrow(/is outside entry "archive\/notes.txt"/);
    expect(z.has('archive/nope')).toBe(false);
    expect(() => z.entry('archive/nope')).toThrow(`${path}: zip archive has no entry "archive/nope"`);
    expect(() => z.read('archive/nope')).toThrow(`${path}: zip archive has no entry "archive/nope"`);
    z.close();
    expect(() => z.read('archive/data.pkl')).toThrow(`${path} is closed`);
    z.close(); // closing twice is harmless
  });
});

describe('ZipArchive on an archive from another writer', () => {
  it('reads a Python zipfile archive (stored + deflate entries, archive comment after the end record)', () => {
    const z = openZip(write(Buffer.from(PYTHON_ZIP, 'base64')));
    try {
      expect(z.names()).toEqual(['plain.txt', 'dir/deflated.bin']);
      expect(z.read('plain.txt').toString()).toBe('hello, stored entry\n');
      expect(z.entry('dir/deflated.bin').method).toBe(8);
      const inflated = z.read('dir/deflated.bin');
      expect(inflated.length).toBe(1024);
      expect(inflated.every((v, i) => v === i % 256)).toBe(true);
      expect(Array.from(z.read('dir/deflated.bin', 254, 4))).toEqual([254, 255, 0, 1]);
    } finally {
      z.close();
    }
  });
});

describe('ZipArchive on damaged files', () => {
  const good = zipBytes(ENTRIES);
  const eocdAt = good.length - 22;
  const cdOffset = good.readUInt32LE(eocdAt + 16);

  it('a missing file', () => {
    const p = join(dir, 'missing.zip');
    expect(() => openZip(p)).toThrow(`cannot open zip archive ${p}`);
  });

  it('a file too short to be an archive, and one without an end record', () => {
    const tiny = write(Buffer.from('PK\x05\x06'));
    expect(() => openZip(tiny)).toThrow(`invalid zip archive ${tiny}: file is 4 bytes, too short to be a zip archive`);
    const notZip = write(Buffer.alloc(300, 0x41));
    expect(() => openZip(notZip)).toThrow(`invalid zip archive ${notZip}: no end-of-central-directory record (not a zip archive, or truncated)`);
  });

  it('a truncated archive (end record cut off, or the tail cut inside the central directory)', () => {
    for (const cut of [good.length - 10, cdOffset + 10, 100]) {
      const p = write(good.subarray(0, cut));
      expect(() => openZip(p), `cut at ${cut}`).toThrow(`invalid zip archive ${p}: no end-of-central-directory record`);
    }
  });

  it('an end record whose central directory lies past the end of the file', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(good.length + 100, eocdAt + 16);
    const p = write(bad);
    expect(() => openZip(p)).toThrow(new RegExp(`^invalid zip archive ${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*"central directory" needs bytes up to \\d+ but the file has ${good.length} \\(truncated\\?\\)`));
  });

  it('a malformed central directory entry', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0x12345678, cdOffset); // first central header signature
    const p = write(bad);
    expect(() => openZip(p)).toThrow(`invalid zip archive ${p}: central directory entry 0 is malformed`);
  });

  it('an entry whose data runs past the end of the file', () => {
    // Remove the data of the last entry but keep the directory: rebuild with a lying size.
    const bad = Buffer.from(good);
    let p = cdOffset;
    for (let i = 0; i < ENTRIES.length; i++) {
      const nameLen = bad.readUInt16LE(p + 28);
      if (i === 1) bad.writeUInt32LE(good.length * 2, p + 20); // compressed size of archive/data/0
      p += 46 + nameLen + bad.readUInt16LE(p + 30) + bad.readUInt16LE(p + 32);
    }
    const path = write(bad);
    const z = openZip(path);
    try {
      expect(() => z.read('archive/data/0', 0, 4)).toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: entry "archive/data/0" extends to byte \\d+ but the file has ${good.length} \\(truncated\\?\\)`));
      expect(z.read('archive/data.pkl').equals(pickle)).toBe(true); // other entries still read
    } finally {
      z.close();
    }
  });

  it('a local header that is not where the directory says', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0, 0); // signature of the first local header
    const path = write(bad);
    const z = openZip(path);
    try {
      expect(() => z.read('archive/data.pkl')).toThrow(`${path}: entry "archive/data.pkl" has no local file header at byte 0`);
    } finally {
      z.close();
    }
  });

  it('corrupt deflate data, and a compression method other than stored or deflate', () => {
    const entries: ZipInput[] = [
      { name: 'a', data: text, deflate: true },
      { name: 'b', data: pickle },
    ];
    const bytes = zipBytes(entries);
    const z0 = openZip(write(bytes));
    const dataAt = z0.entry('a').localHeaderOffset + 30 + 1 + bytes.readUInt16LE(28);
    const compressed = z0.entry('a').compressedSize;
    z0.close();

    const corrupt = Buffer.from(bytes);
    corrupt.fill(0xff, dataAt, dataAt + compressed);
    const p1 = write(corrupt);
    const z1 = openZip(p1);
    expect(() => z1.read('a')).toThrow(`${p1}: entry "a" does not inflate`);
    z1.close();

    const bzip = Buffer.from(bytes);
    const cd = bzip.readUInt32LE(bzip.length - 22 + 16);
    bzip.writeUInt16LE(12, cd + 10); // method of the first central entry
    const p2 = write(bzip);
    const z2 = openZip(p2);
    expect(() => z2.read('a')).toThrow(`${p2}: entry "a" uses zip compression method 12; only stored (0) and deflate (8) are supported`);
    expect(z2.read('b').equals(pickle)).toBe(true);
    z2.close();
  });

  it('a deflated entry whose recorded size is wrong', () => {
    const bytes = zipBytes([{ name: 'a', data: text, deflate: true }]);
    const bad = Buffer.from(bytes);
    const cd = bad.readUInt32LE(bad.length - 22 + 16);
    bad.writeUInt32LE(text.length + 1, cd + 24); // uncompressed size
    const p = write(bad);
    const z = openZip(p);
    expect(() => z.read('a')).toThrow(`${p}: entry "a" inflates to ${text.length} bytes, expected ${text.length + 1}`);
    z.close();
  });
});
