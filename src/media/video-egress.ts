/**
 * Outgoing video: RGB frames → FrameEncoder (VP8) → Vp8Packetizer → the RTP senders of every
 * viewer (the session's own peer and any WHEP players). PLI and FIR from any viewer restart the
 * encoder so the next frame is a keyframe.
 */
import { RtcpPayloadSpecificFeedback, type RTCRtpSender } from 'werift';

/** Payload-specific feedback FMT of a Full Intra Request (RFC 5104); werift's sender only reports PLI. */
const FIR_FMT = 4;
import type { RgbFrames } from '../frames.ts';
import { FrameEncoder } from './frame-encoder.ts';
import { Vp8Packetizer } from './vp8-packetizer.ts';

export interface VideoEgressOptions {
  readonly bitrateKbps?: number;
  readonly onError?: (message: string) => void;
}

export class VideoEgress {
  readonly #encoder: FrameEncoder;
  readonly #packetizer = new Vp8Packetizer();
  readonly #senders = new Map<RTCRtpSender, () => void>();
  readonly #start = performance.now();
  #closed = false;
  #sentFrames = 0;
  #keyframes = 0;

  constructor(opts: VideoEgressOptions = {}) {
    this.#encoder = new FrameEncoder({
      bitrateKbps: opts.bitrateKbps,
      onError: opts.onError,
      onFrame: (f) => {
        if (this.#closed) return;
        const ts = Math.round((performance.now() - this.#start) * 90);
        const packets = this.#packetizer.packetize(f.data, ts);
        this.#sentFrames++;
        if (f.keyframe) this.#keyframes++;
        for (const sender of this.#senders.keys()) {
          if (!isVp8(sender)) continue;
          for (const p of packets) void sender.sendRtp(p.clone()).catch(() => undefined);
        }
      },
    });
  }

  /** Adds a viewer. Its keyframe requests are answered; a new viewer gets a keyframe at once. */
  addSender(sender: RTCRtpSender): void {
    if (this.#closed || this.#senders.has(sender)) return;
    const pli = sender.onPictureLossIndication.subscribe(() => this.#encoder.requestKeyframe());
    const fir = sender.onRtcp.subscribe((p) => {
      if (p instanceof RtcpPayloadSpecificFeedback && p.feedback.count === FIR_FMT) this.#encoder.requestKeyframe();
    });
    this.#senders.set(sender, () => {
      pli.unSubscribe();
      fir.unSubscribe();
    });
    this.#encoder.requestKeyframe();
  }

  removeSender(sender: RTCRtpSender): void {
    this.#senders.get(sender)?.();
    this.#senders.delete(sender);
  }

  /** Encodes a frame for every viewer; false when it was dropped for encoder back-pressure. */
  send(frame: RgbFrames): boolean {
    if (this.#closed) return false;
    return this.#encoder.encode(frame);
  }

  get droppedFrames(): number {
    return this.#encoder.dropped;
  }

  get sentFrames(): number {
    return this.#sentFrames;
  }

  /** Keyframes produced so far (one per encoder start: the first frame and each PLI/FIR answered). */
  get keyframes(): number {
    return this.#keyframes;
  }

  get viewers(): number {
    return this.#senders.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const off of this.#senders.values()) off();
    this.#senders.clear();
    await this.#encoder.close();
  }
}

function isVp8(sender: RTCRtpSender): boolean {
  return sender.codec?.mimeType.toLowerCase() === 'video/vp8';
}
