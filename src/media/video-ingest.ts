/**
 * Incoming camera video: RTP from a werift track → jitter buffer → werift depacketizer →
 * FrameDecoder → RGB frames. Asks the sender for a keyframe (PLI) at start and whenever the
 * depacketizer is waiting for one, and sends REMB with the bitrate we want.
 */
import { ReceiverEstimatedMaxBitrate, RtcpPayloadSpecificFeedback, type MediaStreamTrack, type RTCRtpTransceiver } from 'werift';
import { DepacketizeBase, JitterBufferBase } from 'werift/nonstandard';
import type { RgbFrames } from '../frames.ts';
import { FrameDecoder, type VideoCodec } from './frame-decoder.ts';
import { isH264Keyframe } from './h264.ts';

export interface VideoIngestOptions {
  readonly width: number;
  readonly height: number;
  readonly onFrame: (frame: RgbFrames) => void;
  readonly onError?: (message: string) => void;
  /** Bitrate asked of the sender with REMB (default 2.5 Mb/s). */
  readonly rembBitrate?: number;
}

/**
 * REMB encodes the bitrate as mantissa (18 bits) · 2^exp (6 bits). werift's serializer writes
 * these two fields only (not `bitrate`), so they must be filled in.
 */
export function rembBitrateFields(bitrate: number): { brExp: number; brMantissa: number } {
  if (!Number.isFinite(bitrate) || bitrate < 0) throw new Error(`REMB bitrate ${bitrate} must be a non-negative number`);
  let exp = 0;
  let mantissa = Math.floor(bitrate);
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return { brExp: exp, brMantissa: mantissa };
}

/** The codec of an incoming packet, from its payload type in the negotiated codec list. */
export function codecOfPayload(transceiver: RTCRtpTransceiver, payloadType: number): VideoCodec {
  const codec = transceiver.codecs.find((c) => c.payloadType === payloadType);
  const mime = codec?.mimeType.toLowerCase() ?? '';
  if (mime === 'video/vp8') return 'vp8';
  if (mime === 'video/h264') return 'h264';
  throw new Error(`unsupported incoming video codec '${codec?.mimeType ?? `payload type ${payloadType}`}' (VP8 or H.264 expected)`);
}

export class VideoIngest {
  #decoder?: FrameDecoder;
  #codec?: VideoCodec;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #unsubscribe: () => void;
  #closed = false;
  #sawKeyframe = false;
  #lastPacketAt?: number;
  #framesIn = 0;
  #lastPli = 0;

  constructor(transceiver: RTCRtpTransceiver, track: MediaStreamTrack, opts: VideoIngestOptions) {
    const jitter = new JitterBufferBase(90000, { latency: 100, bufferSize: 2048 });
    let depacketizer: DepacketizeBase | undefined;
    const requestKeyframe = () => {
      const now = performance.now();
      if (this.#closed || now - this.#lastPli < 500 || track.ssrc === undefined) return;
      this.#lastPli = now;
      void transceiver.receiver.sendRtcpPLI(track.ssrc);
    };
    const { unSubscribe } = track.onReceiveRtp.subscribe((rtp) => {
      if (this.#closed) return;
      this.#lastPacketAt = performance.now();
      if (!depacketizer) {
        // The codec is known for sure only from the first packet's payload type.
        try {
          this.#codec = codecOfPayload(transceiver, rtp.header.payloadType);
        } catch (err) {
          this.#closed = true;
          opts.onError?.((err as Error).message);
          return;
        }
        this.#decoder = new FrameDecoder({ codec: this.#codec, width: opts.width, height: opts.height, onFrame: opts.onFrame, onError: opts.onError });
        // H.264 keyframes are recognised by us (see isH264Keyframe), VP8 ones by werift.
        depacketizer = new DepacketizeBase(this.#codec === 'vp8' ? 'VP8' : 'MPEG4/ISO/AVC', {
          isFinalPacketInSequence: (h) => h.marker,
          waitForKeyframe: this.#codec === 'vp8',
        });
        depacketizer.onNeedKeyFrame.subscribe(requestKeyframe);
      }
      for (const j of jitter.processInput({ rtp })) {
        if (j.isPacketLost) requestKeyframe();
        if (!j.rtp) continue;
        for (const d of depacketizer.processInput({ rtp: j.rtp, time: performance.now() })) {
          if (!d.frame) continue;
          if (this.#codec === 'h264' && !this.#sawKeyframe) {
            if (!isH264Keyframe(d.frame.data)) {
              requestKeyframe();
              continue;
            }
            this.#sawKeyframe = true;
          }
          this.#framesIn++;
          this.#decoder?.write(d.frame.data);
        }
      }
    });
    this.#unsubscribe = unSubscribe;
    requestKeyframe();
    const remb = () => {
      if (this.#closed || track.ssrc === undefined) return;
      const bitrate = opts.rembBitrate ?? 2_500_000;
      const feedback = new ReceiverEstimatedMaxBitrate({
        senderSsrc: transceiver.receiver.rtcpSsrc,
        mediaSsrc: 0,
        ...rembBitrateFields(bitrate),
        bitrate: BigInt(bitrate),
        ssrcNum: 1,
        ssrcFeedbacks: [track.ssrc],
      });
      void transceiver.dtlsTransport?.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback })]).catch(() => undefined);
    };
    this.#timers.push(setInterval(remb, 1000), setInterval(() => this.#framesIn === 0 && ((this.#lastPli = 0), requestKeyframe()), 1000));
    remb();
  }

  /** performance.now() of the last RTP packet, undefined before the first. */
  get lastPacketAt(): number | undefined {
    return this.#lastPacketAt;
  }

  /** Codec of the incoming stream, once the first packet arrived. */
  get codec(): VideoCodec | undefined {
    return this.#codec;
  }

  /** Compressed frames received so far. */
  get framesReceived(): number {
    return this.#framesIn;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timers.forEach(clearInterval);
    this.#unsubscribe();
    await this.#decoder?.close();
  }
}
