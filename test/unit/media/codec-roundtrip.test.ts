import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { RtpPacket, Vp8RtpPayload } from 'werift';
import { DepacketizeBase } from 'werift/nonstandard';
import type { RgbFrames } from '../../../src/frames.ts';
import { FrameDecoder } from '../../../src/media/frame-decoder.ts';
import { FrameEncoder, type EncodedFrame } from '../../../src/media/frame-encoder.ts';
import { IvfReader, ivfFileHeader, ivfFrameHeader } from '../../../src/media/ivf.ts';
import { drawPatternFrame, readPatternCode } from '../../../src/media/test-pattern.ts';
import { Vp8Packetizer } from '../../../src/media/vp8-packetizer.ts';

const W = 160;
const H = 96;

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('IvfReader', () => {
  it('reassembles frames split across arbitrary pipe chunks', () => {
    const stream = Buffer.concat([ivfFileHeader('VP80', 16, 16), ivfFrameHeader(3, 0), Buffer.from([1, 2, 3]), ivfFrameHeader(2, 1), Buffer.from([4, 5])]);
    const r = new IvfReader();
    const frames = [];
    for (let i = 0; i < stream.length; i += 5) frames.push(...r.push(stream.subarray(i, i + 5)));
    expect(frames.map((f) => [...f.data])).toEqual([[1, 2, 3], [4, 5]]);
    expect(frames[1].pts).toBe(1n);
  });

  it('rejects a stream without the IVF signature', () => {
    expect(() => new IvfReader().push(Buffer.alloc(40))).toThrow(/DKIF/);
  });
});

describe('VP8 encoder → RTP packetizer → werift depacketizer → decoder', () => {
  it('returns the pattern frames (within codec loss), the first one a keyframe', async () => {
    const encoded: EncodedFrame[] = [];
    const enc = new FrameEncoder({ onFrame: (f) => encoded.push(f), keyframeInterval: 1000, maxPending: 100 });
    const sent: RgbFrames[] = [];
    for (let i = 0; i < 12; i++) {
      const f = drawPatternFrame(W, H, i * 37);
      sent.push(f);
      expect(enc.encode(f)).toBe(true);
    }
    await waitUntil(() => encoded.length === 12, 10_000, '12 encoded frames');
    await enc.close();
    expect(encoded[0].keyframe).toBe(true);
    expect(encoded.slice(1).some((f) => f.keyframe)).toBe(false);

    // Packetize small so every frame spans several packets, then depacketize with werift.
    const pk = new Vp8Packetizer({ maxPayload: 200 });
    const depack = new DepacketizeBase('VP8', { isFinalPacketInSequence: (h) => h.marker, waitForKeyframe: true });
    const frames: Buffer[] = [];
    encoded.forEach((f, i) => {
      const packets = pk.packetize(f.data, i * 3000);
      expect(packets.length).toBe(Math.ceil(f.data.length / (200 - 4)));
      expect(packets.at(-1)!.header.marker).toBe(true);
      for (const p of packets) {
        const rtp = RtpPacket.deSerialize(p.serialize());
        expect(Vp8RtpPayload.deSerialize(rtp.payload).sBit).toBe(p === packets[0] ? 1 : 0);
        for (const o of depack.processInput({ rtp, time: i })) if (o.frame) frames.push(o.frame.data);
      }
    });
    expect(frames.map((f) => f.length)).toEqual(encoded.map((f) => f.data.length));

    const decoded: RgbFrames[] = [];
    const dec = new FrameDecoder({ codec: 'vp8', width: W, height: H, onFrame: (f) => decoded.push(f) });
    for (const f of frames) dec.write(f);
    // ffmpeg keeps the newest couple of frames until more input arrives; live input always does.
    await waitUntil(() => decoded.length >= 9, 10_000, '9 of 12 decoded frames');
    await dec.close();
    decoded.forEach((f, i) => {
      expect(meanAbsDiff(f.data, sent[i].data)).toBeLessThan(12);
      expect(readPatternCode(f.data, W, H)).toBe(i * 37);
    });
  });

  it('drops instead of queueing when two frames are already pending', async () => {
    let n = 0;
    const enc = new FrameEncoder({ onFrame: () => n++ });
    const results = Array.from({ length: 10 }, (_, i) => enc.encode(drawPatternFrame(W, H, i)));
    expect(results.slice(0, 2)).toEqual([true, true]);
    expect(results.filter((r) => !r).length).toBe(8);
    expect(enc.dropped).toBe(8);
    await waitUntil(() => n === 2, 10_000, 'the two accepted frames');
    expect(enc.encode(drawPatternFrame(W, H, 11))).toBe(true);
    await enc.close();
  });

  it('starts a fresh keyframe after a keyframe request', async () => {
    const encoded: EncodedFrame[] = [];
    const enc = new FrameEncoder({ onFrame: (f) => encoded.push(f), keyframeInterval: 1000 });
    enc.encode(drawPatternFrame(W, H, 0));
    await waitUntil(() => encoded.length === 1, 10_000, 'first frame');
    enc.encode(drawPatternFrame(W, H, 1));
    await waitUntil(() => encoded.length === 2, 10_000, 'second frame');
    await new Promise((r) => setTimeout(r, 320)); // keyframe requests are rate-limited
    enc.requestKeyframe();
    enc.encode(drawPatternFrame(W, H, 2));
    await waitUntil(() => encoded.length === 3, 10_000, 'third frame');
    await enc.close();
    expect(encoded.map((f) => f.keyframe)).toEqual([true, false, true]);
  });
});

describe('H.264 decoder', () => {
  it('decodes an Annex-B stream to RGB frames of the requested size, lagging at most a few frames', async () => {
    const src = Buffer.concat(Array.from({ length: 30 }, (_, i) => Buffer.from(drawPatternFrame(W, H, i * 30).data)));
    const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${W}x${H}`, '-r', '30', '-i', 'pipe:0',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', 'pipe:1'], { input: src });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const decoded: RgbFrames[] = [];
    const dec = new FrameDecoder({ codec: 'h264', width: W / 2, height: H / 2, onFrame: (f) => decoded.push(f) });
    dec.write(r.stdout);
    // The raw H.264 parser only ends an access unit when the next one starts, so the newest
    // frames stay inside until more video arrives; the lag must stay small.
    await waitUntil(() => decoded.length >= 26, 10_000, '26 of 30 decoded H.264 frames');
    await dec.close();
    expect(decoded[0].width).toBe(W / 2);
    expect(readPatternCode(decoded[20].data, W / 2, H / 2)).toBe(600);
  });

  it('rejects an odd decoder size with a clear error', () => {
    expect(() => new FrameDecoder({ codec: 'vp8', width: 161, height: 96, onFrame: () => {} })).toThrow(/even integers/);
  });
});
