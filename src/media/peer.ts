/**
 * werift peer connections configured for this server: no public STUN server (a loopback-only
 * machine would try the internet), loopback host candidates, VP8 preferred and H.264 accepted
 * (OBS publishes H.264), with NACK, PLI, FIR and REMB feedback so we can steer the sender's
 * bitrate ourselves (werift's own feedback left Chromium near 300 kb/s).
 */
import { RTCPeerConnection, RTCRtpCodecParameters, useFIR, useNACK, usePLI, useREMB, type RTCRtpTransceiver } from 'werift';

export function videoCodecs(): RTCRtpCodecParameters[] {
  const feedback = () => [useNACK(), usePLI(), useFIR(), useREMB()];
  return [
    new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: feedback() }),
    new RTCRtpCodecParameters({
      mimeType: 'video/H264',
      clockRate: 90000,
      payloadType: 102,
      rtcpFeedback: feedback(),
      parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
    }),
  ];
}

export function createPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    codecs: { video: videoCodecs(), audio: [] },
  });
}

export class BadOfferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadOfferError';
  }
}

/** A quick sanity check so obviously broken offers get a 400 before werift sees them. */
export function checkOfferSdp(sdp: unknown): string {
  if (typeof sdp !== 'string' || sdp.length === 0) throw new BadOfferError('the SDP offer is missing or not a string');
  if (sdp.length > 100_000) throw new BadOfferError(`the SDP offer is ${sdp.length} bytes, more than the 100000 accepted`);
  if (!/^v=0\r?\n/.test(sdp)) throw new BadOfferError('the SDP offer does not start with "v=0"');
  if (!/\r?\nm=video /.test(sdp)) throw new BadOfferError('the SDP offer has no video media section (m=video)');
  if (!/a=ice-ufrag:\S/.test(sdp) || !/a=ice-pwd:\S/.test(sdp)) throw new BadOfferError('the SDP offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)');
  const fp = /a=fingerprint:([^\r\n]*)/.exec(sdp);
  if (!fp) throw new BadOfferError('the SDP offer has no DTLS fingerprint (a=fingerprint)');
  if (!/^[A-Za-z0-9-]+ [0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,}$/.test(fp[1].trim())) {
    throw new BadOfferError(`the SDP offer's DTLS fingerprint "${fp[1].trim().slice(0, 40)}" is not "<hash> XX:XX:…"`);
  }
  for (const m of sdp.matchAll(/a=setup:([^\r\n]*)/g)) {
    if (!['actpass', 'active', 'passive'].includes(m[1].trim())) throw new BadOfferError(`the SDP offer has an invalid DTLS role "a=setup:${m[1].trim().slice(0, 20)}"`);
  }
  return sdp;
}

const NO_SUPPORTED_CODEC = 'the SDP offer has no video codec this server supports (VP8 or H.264)';

/**
 * Answers an offer: applies it, lets `setup` pick directions and subscribe to tracks, creates the
 * answer and waits (bounded) for ICE gathering so the answer carries its candidates (WHIP/WHEP
 * clients do not trickle).
 */
export async function answerOffer(pc: RTCPeerConnection, sdp: string, setup: (video: RTCRtpTransceiver) => void): Promise<string> {
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // werift itself rejects an offer whose video codecs it cannot match ("negotiate codecs failed."),
    // so the codec check below never saw a VP9/AV1-only offer; give that case its own message.
    if (/negotiate codecs failed/i.test(message)) throw new BadOfferError(NO_SUPPORTED_CODEC);
    throw new BadOfferError(`the SDP offer could not be applied: ${message}`);
  }
  const video = pc.getTransceivers().find((t) => t.kind === 'video');
  if (!video) throw new BadOfferError('the SDP offer has no usable video section');
  if (video.codecs.length === 0) throw new BadOfferError(NO_SUPPORTED_CODEC);
  setup(video);
  const answer = await pc.createAnswer();
  await pc.setLocalDescription(answer);
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 3000);
      pc.iceGatheringStateChange.subscribe((s) => {
        if (s === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
  const local = pc.localDescription?.sdp;
  if (!local) throw new Error('werift produced no local description');
  return local;
}
