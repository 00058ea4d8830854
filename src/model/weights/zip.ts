/**
 * Read-only zip archive access by positioned reads, for PyTorch checkpoints.
 *
 * torch.save writes a zip whose entries are STORED (uncompressed) and 64-byte aligned, and files
 * of many GB use ZIP64 records. We only need the central directory and byte ranges inside
 * entries, read synchronously, so a multi-GB file is never loaded whole. (The npm zip readers we
 * looked at either load the whole archive into memory — adm-zip, jszip — or expose only async
 * whole-entry streams — yauzl, node-stream-zip — neither fits lazy, synchronous tensor reads.)
 * DEFLATE entries (an archive re-zipped by another tool) are inflated whole on read.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { readRange } from './read-range.ts';
import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;

function u64(buf: Buffer, at: number): number {
  const v = buf.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`64-bit field ${v} is too large`);
  return Number(v);
}

export class ZipArchive {
  readonly path: string;
  readonly size: number;
  readonly #entries = new Map<string, ZipEntry>();
  /** Absolute offset of each entry's data, found from its local header on first use. */
  readonly #dataOffsets = new Map<string, number>();
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new Error(`cannot open zip archive ${path}: ${(e as Error).message}`);
    }
    this.#fd = fd;
    try {
      this.size = fstatSync(fd).size;
      this.#readCentralDirectory();
    } catch (e) {
      closeSync(fd);
      this.#fd = undefined;
      throw new Error(`invalid zip archive ${path}: ${(e as Error).message}`);
    }
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.#entries.keys()];
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  entry(name: string): ZipEntry {
    const e = this.#entries.get(name);
    if (!e) throw new Error(`${this.path}: zip archive has no entry "${name}"`);
    return e;
  }

  /** `length` bytes of an entry's uncompressed content starting at `offset`. */
  read(name: string, offset = 0, length?: number): Buffer {
    const e = this.entry(name);
    const len = length ?? e.size - offset;
    if (offset < 0 || len < 0 || offset + len > e.size) {
      throw new Error(`${this.path}: read of bytes [${offset}, ${offset + len}) is outside entry "${name}" (${e.size} bytes)`);
    }
    const dataOffset = this.#dataOffset(e);
    if (e.method === 0) return this.#pread(dataOffset + offset, len, name);
    if (e.method === 8) {
      const raw = this.#pread(dataOffset, e.compressedSize, name);
      let inflated: Buffer;
      try {
        inflated = inflateRawSync(raw);
      } catch (err) {
        throw new Error(`${this.path}: entry "${name}" does not inflate: ${(err as Error).message}`);
      }
      if (inflated.length !== e.size) throw new Error(`${this.path}: entry "${name}" inflates to ${inflated.length} bytes, expected ${e.size}`);
      // Copy so the result starts at byte offset 0 (typed-array views need aligned offsets).
      // Buffer.alloc, not Buffer.from: Buffer.from copies ranges under 4 KiB into Node's shared
      // pool, at a non-zero byteOffset (found by test/unit/model/weights/zip.test.ts).
      const out = Buffer.alloc(len);
      inflated.copy(out, 0, offset, offset + len);
      return out;
    }
    throw new Error(`${this.path}: entry "${name}" uses zip compression method ${e.method}; only stored (0) and deflate (8) are supported`);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #pread(position: number, length: number, what: string): Buffer {
    if (this.#fd === undefined) throw new Error(`${this.path} is closed`);
    if (position + length > this.size) {
      throw new Error(`${this.path}: "${what}" needs bytes up to ${position + length} but the file has ${this.size} (truncated?)`);
    }
    return readRange(this.#fd, position, length, this.path, `"${what}"`);
  }

  #dataOffset(e: ZipEntry): number {
    const known = this.#dataOffsets.get(e.name);
    if (known !== undefined) return known;
    const h = this.#pread(e.localHeaderOffset, 30, `local header of ${e.name}`);
    if (h.readUInt32LE(0) !== SIG_LOCAL) throw new Error(`${this.path}: entry "${e.name}" has no local file header at byte ${e.localHeaderOffset}`);
    const at = e.localHeaderOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (at + e.compressedSize > this.size) {
      throw new Error(`${this.path}: entry "${e.name}" extends to byte ${at + e.compressedSize} but the file has ${this.size} (truncated?)`);
    }
    this.#dataOffsets.set(e.name, at);
    return at;
  }

  #readCentralDirectory(): void {
    // The end-of-central-directory record is in the last 22 + 65535 (max comment) bytes.
    const tailLen = Math.min(this.size, 22 + U16_MAX + 20);
    if (tailLen < 22) throw new Error(`file is ${this.size} bytes, too short to be a zip archive`);
    const tailStart = this.size - tailLen;
    const tail = this.#pread(tailStart, tailLen, 'end of central directory');
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === SIG_EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new Error('no end-of-central-directory record (not a zip archive, or truncated)');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === U16_MAX || cdSize === U32_MAX || cdOffset === U32_MAX) {
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== SIG_ZIP64_LOCATOR) throw new Error('ZIP64 end-of-central-directory locator missing');
      const z64At = u64(tail, loc + 8);
      const z64 = this.#pread(z64At, 56, 'ZIP64 end of central directory');
      if (z64.readUInt32LE(0) !== SIG_ZIP64_EOCD) throw new Error(`no ZIP64 end-of-central-directory record at byte ${z64At}`);
      count = u64(z64, 32);
      cdSize = u64(z64, 40);
      cdOffset = u64(z64, 48);
    }
    const cd = this.#pread(cdOffset, cdSize, 'central directory');
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== SIG_CENTRAL) throw new Error(`central directory entry ${i} is malformed`);
      const method = cd.readUInt16LE(p + 10);
      let compressedSize = cd.readUInt32LE(p + 20);
      let size = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      let localHeaderOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString('utf8', p + 46, p + 46 + nameLen);
      // ZIP64 extended information (id 0x0001) holds, in order, each field that is saturated.
      let x = p + 46 + nameLen;
      const extraEnd = x + extraLen;
      while (x + 4 <= extraEnd) {
        const id = cd.readUInt16LE(x);
        const len = cd.readUInt16LE(x + 2);
        if (id === 0x0001) {
          let q = x + 4;
          if (size === U32_MAX) (size = u64(cd, q)), (q += 8);
          if (compressedSize === U32_MAX) (compressedSize = u64(cd, q)), (q += 8);
          if (localHeaderOffset === U32_MAX) localHeaderOffset = u64(cd, q);
        }
        x += 4 + len;
      }
      this.#entries.set(name, { name, method, compressedSize, size, localHeaderOffset });
      p = extraEnd + commentLen;
    }
  }
}

export function openZip(path: string): ZipArchive {
  return new ZipArchive(path);
}
