/**
 * IVF, the minimal container ffmpeg reads and writes for VP8: a 32-byte file header, then per
 * frame a 12-byte header (u32 size, u64 pts) and the frame bytes. We use it on both pipes: to
 * feed depacketized VP8 frames to the decoder and to read encoded frames back from the encoder.
 */

export const IVF_FILE_HEADER_BYTES = 32;
export const IVF_FRAME_HEADER_BYTES = 12;

export function ivfFileHeader(fourcc: 'VP80' | 'VP90', width: number, height: number, timebaseDen = 90000, timebaseNum = 1): Buffer {
  const b = Buffer.alloc(IVF_FILE_HEADER_BYTES);
  b.write('DKIF', 0, 'ascii');
  b.writeUInt16LE(0, 4); // version
  b.writeUInt16LE(IVF_FILE_HEADER_BYTES, 6);
  b.write(fourcc, 8, 'ascii');
  b.writeUInt16LE(width, 12);
  b.writeUInt16LE(height, 14);
  b.writeUInt32LE(timebaseDen, 16);
  b.writeUInt32LE(timebaseNum, 20);
  b.writeUInt32LE(0, 24); // frame count: unknown for a live stream
  return b;
}

export function ivfFrameHeader(size: number, pts: bigint | number): Buffer {
  const b = Buffer.alloc(IVF_FRAME_HEADER_BYTES);
  b.writeUInt32LE(size, 0);
  b.writeBigUInt64LE(BigInt(pts), 4);
  return b;
}

export interface IvfFrame {
  readonly data: Buffer;
  readonly pts: bigint;
}

/** Incremental IVF parser: feed arbitrary pipe chunks, get whole frames back. */
export class IvfReader {
  #buf: Buffer = Buffer.alloc(0);
  #headerSeen = false;

  push(chunk: Buffer): IvfFrame[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const out: IvfFrame[] = [];
    if (!this.#headerSeen) {
      if (this.#buf.length < IVF_FILE_HEADER_BYTES) return out;
      if (this.#buf.toString('ascii', 0, 4) !== 'DKIF') throw new Error('IVF stream does not start with the DKIF signature');
      const headerLen = this.#buf.readUInt16LE(6) || IVF_FILE_HEADER_BYTES;
      if (this.#buf.length < headerLen) return out;
      this.#buf = this.#buf.subarray(headerLen);
      this.#headerSeen = true;
    }
    while (this.#buf.length >= IVF_FRAME_HEADER_BYTES) {
      const size = this.#buf.readUInt32LE(0);
      if (this.#buf.length < IVF_FRAME_HEADER_BYTES + size) break;
      const pts = this.#buf.readBigUInt64LE(4);
      out.push({ data: Buffer.from(this.#buf.subarray(IVF_FRAME_HEADER_BYTES, IVF_FRAME_HEADER_BYTES + size)), pts });
      this.#buf = this.#buf.subarray(IVF_FRAME_HEADER_BYTES + size);
    }
    return out;
  }
}

/** VP8 keyframe test (RFC 6386 §9.1: bit 0 of the first byte is 0 for key frames). */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0] & 0x01) === 0;
}
