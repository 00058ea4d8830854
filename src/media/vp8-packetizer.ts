/**
 * VP8 RTP packetizer (RFC 7741): each packet carries a payload descriptor with the start-of-
 * partition bit on the first packet of a frame and a 15-bit picture id (so receivers can tell
 * frames apart after loss), and the RTP marker bit on the last packet. werift only depacketizes
 * VP8, so the sending side is ours.
 */
import { RtpHeader, RtpPacket } from 'werift';

export interface Vp8PacketizerOptions {
  /** Largest RTP payload in bytes, descriptor included (default 1100: fits a 1200-byte MTU with SRTP). */
  readonly maxPayload?: number;
  readonly payloadType?: number;
  readonly ssrc?: number;
}

export class Vp8Packetizer {
  readonly #maxPayload: number;
  readonly #payloadType: number;
  readonly #ssrc: number;
  #seq = Math.floor(Math.random() * 0x10000);
  #pictureId = Math.floor(Math.random() * 0x8000);

  constructor(opts: Vp8PacketizerOptions = {}) {
    this.#maxPayload = opts.maxPayload ?? 1100;
    this.#payloadType = opts.payloadType ?? 96;
    this.#ssrc = opts.ssrc ?? 0;
    if (this.#maxPayload < 16) throw new Error(`VP8 max payload ${this.#maxPayload} is too small`);
  }

  /** Splits one encoded frame into RTP packets stamped with `timestamp` (90 kHz). */
  packetize(frame: Uint8Array, timestamp: number): RtpPacket[] {
    if (frame.length === 0) return [];
    const descriptorLen = 4; // X=1 byte, extension byte with I=1, two-byte M=1 picture id
    const room = this.#maxPayload - descriptorLen;
    const packets: RtpPacket[] = [];
    const pid = this.#pictureId;
    this.#pictureId = (this.#pictureId + 1) & 0x7fff;
    for (let off = 0; off < frame.length; off += room) {
      const part = frame.subarray(off, Math.min(frame.length, off + room));
      const payload = Buffer.alloc(descriptorLen + part.length);
      payload[0] = 0x80 | (off === 0 ? 0x10 : 0); // X, S (partition index 0)
      payload[1] = 0x80; // I: picture id present
      payload[2] = 0x80 | (pid >> 8); // M: 15-bit picture id
      payload[3] = pid & 0xff;
      payload.set(part, descriptorLen);
      const last = off + room >= frame.length;
      const header = new RtpHeader({
        payloadType: this.#payloadType,
        sequenceNumber: this.#seq,
        timestamp: timestamp >>> 0,
        ssrc: this.#ssrc,
        marker: last,
      });
      this.#seq = (this.#seq + 1) & 0xffff;
      packets.push(new RtpPacket(header, payload));
    }
    return packets;
  }
}
