/**
 * The server's werift peers without a browser: a werift "client" on loopback offers, answerOffer()
 * answers it, and the two connect; the offer sanity check and the answer's error paths.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';
import { answerOffer, BadOfferError, checkOfferSdp, createPeer, videoCodecs } from '../../../src/media/peer.ts';

const open: RTCPeerConnection[] = [];
const track = <T extends RTCPeerConnection>(pc: T): T => (open.push(pc), pc);
afterEach(async () => {
  await Promise.all(open.splice(0).map((pc) => pc.close().catch(() => undefined)));
});

/** A client-side offer from a werift peer (a browser stand-in) with its candidates gathered. */
async function clientOffer(opts: { video?: RTCRtpCodecParameters[]; dataOnly?: boolean } = {}): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = track(
    new RTCPeerConnection({
      iceServers: [],
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
      ...(opts.video ? { codecs: { video: opts.video, audio: [] } } : {}),
    }),
  );
  if (opts.dataOnly) pc.createDataChannel('params');
  else pc.addTransceiver('video', { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
  }
  return { pc, sdp: pc.localDescription!.sdp };
}

/** Resolves once every peer is 'connected'; rejects on failure or after `ms` (a bound, not a measurement). */
function allConnected(peers: RTCPeerConnection[], ms = 8000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not connected after ${ms} ms: ${peers.map((p) => p.connectionState).join(', ')}`)), ms);
    const check = () => {
      if (peers.some((p) => p.connectionState === 'failed')) (clearTimeout(timer), reject(new Error('a peer failed')));
      else if (peers.every((p) => p.connectionState === 'connected')) (clearTimeout(timer), resolve());
    };
    for (const p of peers) p.connectionStateChange.subscribe(check);
    check();
  });
}

const h264 = () => new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: 97, parameters: 'packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1' });

describe('videoCodecs', () => {
  it('offers VP8 first and H.264 (packetization mode 1), each with NACK, PLI, FIR and REMB feedback', () => {
    const codecs = videoCodecs();
    expect(codecs.map((c) => [c.mimeType, c.payloadType, c.clockRate])).toEqual([
      ['video/VP8', 96, 90000],
      ['video/H264', 102, 90000],
    ]);
    expect(codecs[1]!.parameters).toContain('packetization-mode=1');
    for (const c of codecs) {
      expect(c.rtcpFeedback.map((f) => [f.type, f.parameter ?? ''])).toEqual([
        ['nack', ''],
        ['nack', 'pli'],
        ['ccm', 'fir'],
        ['goog-remb', ''],
      ]);
    }
    // Fresh objects each call: a session's negotiation cannot alter the next session's codecs.
    expect(videoCodecs()[0]).not.toBe(codecs[0]);
  });
});

describe('checkOfferSdp', () => {
  it('returns a real offer unchanged', async () => {
    const { sdp } = await clientOffer();
    expect(checkOfferSdp(sdp)).toBe(sdp);
  });

  it('names what is wrong with a broken offer', async () => {
    const { sdp } = await clientOffer();
    const cases: [unknown, RegExp][] = [
      [undefined, /missing or not a string/],
      ['', /missing or not a string/],
      [42, /missing or not a string/],
      ['v=0\r\n' + 'x'.repeat(100_001), /more than the 100000 accepted/],
      ['hello', /does not start with "v=0"/],
      [sdp.replace(/m=video /, 'm=audio '), /no video media section \(m=video\)/],
      [sdp.replace(/a=ice-pwd:[^\r\n]*/, 'a=ice-pwd:'), /no ICE credentials/],
      [sdp.replace(/a=ice-ufrag:[^\r\n]*\r\n/, ''), /no ICE credentials/],
      [sdp.replace(/a=fingerprint:[^\r\n]*\r\n/, ''), /no DTLS fingerprint/],
      [sdp.replace(/a=fingerprint:[^\r\n]*/, 'a=fingerprint:sha-256 zz'), /DTLS fingerprint "sha-256 zz" is not/],
      [sdp.replace(/a=setup:[^\r\n]*/, 'a=setup:bogus'), /invalid DTLS role "a=setup:bogus"/],
    ];
    for (const [input, message] of cases) {
      let err: unknown;
      try {
        checkOfferSdp(input);
      } catch (e) {
        err = e;
      }
      expect(err, String(message)).toBeInstanceOf(BadOfferError);
      expect((err as Error).name).toBe('BadOfferError');
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('createPeer + answerOffer', () => {
  it('answers a VP8 offer with gathered loopback candidates, lets setup pick the direction, and the peers connect', async () => {
    const client = await clientOffer();
    const server = track(createPeer());
    const seen: string[][] = [];
    const answer = await answerOffer(server, client.sdp, (video) => {
      seen.push(video.codecs.map((c) => c.mimeType));
      video.setDirection('recvonly');
    });
    expect(seen).toEqual([['video/VP8']]);
    expect(answer).toMatch(/^v=0\r\n/);
    expect(answer).toMatch(/\r\nm=video /);
    expect(answer).toMatch(/a=rtpmap:\d+ VP8\/90000/);
    expect(answer).toMatch(/\r\na=recvonly\r\n/);
    // Gathered before returning: WHIP/WHEP clients do not trickle.
    expect(answer).toMatch(/a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/);
    expect(answer).toContain('a=end-of-candidates');
    expect(answer).toBe(server.localDescription!.sdp);

    await client.pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await allConnected([client.pc, server]);
  });

  it('accepts an H.264-only offer (as OBS sends)', async () => {
    const client = await clientOffer({ video: [h264()] });
    const answer = await answerOffer(track(createPeer()), client.sdp, (video) => {
      expect(video.codecs.map((c) => c.mimeType)).toEqual(['video/H264']);
      video.setDirection('recvonly');
    });
    expect(answer).toMatch(/a=rtpmap:97 H264\/90000/);
    expect(answer).not.toMatch(/VP8/);
  });

  it('refuses offers it cannot use with a BadOfferError, without calling setup', async () => {
    const setupCalls: string[] = [];
    const setup = () => void setupCalls.push('called');
    const vp8 = await clientOffer();
    const dataOnly = await clientOffer({ dataOnly: true });
    const vp9Only = await clientOffer({ video: [new RTCRtpCodecParameters({ mimeType: 'video/VP9', clockRate: 90000, payloadType: 98 })] });
    const cases: [string, RegExp][] = [
      [dataOnly.sdp, /no usable video section/],
      [vp9Only.sdp, /^the SDP offer has no video codec this server supports \(VP8 or H\.264\)$/],
      [vp8.sdp.replace(/m=video [^\r\n]*/, 'm=video x y z'), /could not be applied/],
      [vp8.sdp.replace(/a=mid:[^\r\n]*\r\n/, ''), /could not be applied/],
    ];
    for (const [sdp, message] of cases) {
      const err = await answerOffer(track(createPeer()), sdp, setup).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, String(message)).toBeInstanceOf(BadOfferError);
      expect((err as Error).message).toMatch(message);
    }
    expect(setupCalls).toEqual([]);
  });
});
