import { describe, expect, it } from 'vitest';
import { DepacketizeBase } from 'werift/nonstandard';
import { RtpHeader, RtpPacket } from 'werift';
import { annexBNalTypes, isH264Keyframe } from '../../../src/media/h264.ts';

/** One STAP-A RTP packet carrying SPS, PPS and an IDR slice, as OpenH264 sends small keyframes. */
function stapAKeyframe(): RtpPacket {
  const nals = [Buffer.from([0x67, 0x42, 0xc0, 0x1f]), Buffer.from([0x68, 0xce, 0x3c, 0x80]), Buffer.from([0x65, 0x88, 0x84, 0x00, 0x33])];
  const parts = [Buffer.from([0x78])]; // F=0, NRI=3, type 24 (STAP-A)
  for (const n of nals) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(n.length);
    parts.push(len, n);
  }
  return new RtpPacket(new RtpHeader({ payloadType: 102, sequenceNumber: 1, timestamp: 0, marker: true }), Buffer.concat(parts));
}

describe('H.264 keyframes', () => {
  it('lists the NAL types of an Annex-B access unit', () => {
    expect(annexBNalTypes(Buffer.from([0, 0, 0, 1, 0x67, 1, 0, 0, 1, 0x68, 2, 0, 0, 0, 1, 0x65, 3]))).toEqual([7, 8, 5]);
  });

  it('recognises an IDR inside a STAP-A aggregate (werift alone does not)', () => {
    const depack = new DepacketizeBase('MPEG4/ISO/AVC', { isFinalPacketInSequence: (h) => h.marker });
    const [out] = depack.processInput({ rtp: stapAKeyframe(), time: 0 });
    expect(out.frame).toBeDefined();
    expect(out.frame!.isKeyframe).toBe(false); // the werift behaviour this guards against
    expect(isH264Keyframe(out.frame!.data)).toBe(true);
  });

  it('does not take a non-IDR slice for a keyframe', () => {
    expect(isH264Keyframe(Buffer.from([0, 0, 0, 1, 0x41, 0x9a, 0x00]))).toBe(false);
  });
});
