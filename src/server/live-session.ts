/**
 * One live session: a camera source (browser peer or WHIP publisher), the rxjs pipeline, the
 * encoder, and every viewer (the browser peer itself, WHEP players). Parameter messages arrive
 * from the data channel, the WebSocket or REST and all go through `handleMessage` /
 * `updateParams`. `close()` frees everything and is safe to call twice.
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from 'rxjs';
import { MediaStreamTrack, type RTCDataChannel, type RTCPeerConnection, type RTCRtpTransceiver } from 'werift';
import type { RgbImage } from '../pipeline/reference-images.ts';
import { answerOffer, createPeer } from '../media/peer.ts';
import { VideoEgress } from '../media/video-egress.ts';
import { VideoIngest } from '../media/video-ingest.ts';
import type { GeneratorRegistry } from '../stream/generators.ts';
import { parseClientMessage, type SessionParamsPatch } from '../stream/params.ts';
import { SessionPipeline, type ControlSource, type PipelineStats, type UpdateResult } from '../stream/session-pipeline.ts';

export type SessionKind = 'browser' | 'whip';

export interface LiveSessionOptions {
  readonly kind: SessionKind;
  readonly width: number;
  readonly height: number;
  readonly controls: ControlSource;
  readonly generators: GeneratorRegistry;
  readonly initialParams?: SessionParamsPatch;
  readonly log?: (msg: string) => void;
  /** How long a peer may stay 'disconnected' before the session ends (ms). */
  readonly disconnectGraceMs?: number;
  /**
   * A camera that sent video and then stopped for this long (ms) has gone away. werift alone
   * notices a closed browser tab only when ICE consent expires, about 30 s later.
   */
  readonly inputTimeoutMs?: number;
}

const WATCHDOG_TICK_MS = 500;

/**
 * Whether a camera that sent video has stopped: no packet for `timeoutMs`. A watchdog tick that
 * comes late means the event loop was blocked (a long synchronous model run: ORT's WebGPU runs
 * take seconds on a software driver); the packets that arrived meanwhile are still queued behind
 * the timer, so such a tick never ends a session: the next on-time tick decides.
 */
export function inputStopped(t: { now: number; lastTick: number; lastPacketAt: number | undefined; timeoutMs: number }): boolean {
  if (t.lastPacketAt === undefined) return false;
  if (t.now - t.lastTick > 2 * WATCHDOG_TICK_MS) return false;
  return t.now - t.lastPacketAt > t.timeoutMs;
}

export interface SessionStats extends PipelineStats {
  readonly id: string;
  readonly kind: SessionKind;
  readonly state: string;
  readonly width: number;
  readonly height: number;
  readonly viewers: number;
  readonly inputCodec: string | null;
  readonly framesReceived: number;
  readonly framesDecoded: number;
  readonly framesEncoded: number;
  readonly encoderDrops: number;
  readonly keyframesSent: number;
  readonly uptimeS: number;
  readonly errors: readonly string[];
}

type Listener = (message: object) => void;

export class LiveSession {
  readonly id = randomUUID();
  readonly kind: SessionKind;
  readonly width: number;
  readonly height: number;
  readonly #opts: LiveSessionOptions;
  readonly #pipeline: SessionPipeline;
  readonly #egress: VideoEgress;
  readonly #pc: RTCPeerConnection;
  readonly #viewers = new Map<string, RTCPeerConnection>();
  readonly #listeners = new Set<Listener>();
  readonly #channels = new Set<RTCDataChannel>();
  readonly #subs: Subscription[] = [];
  readonly #started = performance.now();
  readonly #errors: string[] = [];
  #ingest?: VideoIngest;
  #framesDecoded = 0;
  #closed = false;
  #closing?: Promise<void>;
  #disconnectTimer?: NodeJS.Timeout;
  readonly #watchdog: NodeJS.Timeout;
  readonly #onClosed: (() => void)[] = [];

  constructor(opts: LiveSessionOptions) {
    this.#opts = opts;
    this.kind = opts.kind;
    this.width = opts.width;
    this.height = opts.height;
    this.#pipeline = new SessionPipeline({
      controls: opts.controls,
      generators: opts.generators,
      initialParams: opts.initialParams,
      frameSize: { width: opts.width, height: opts.height },
    });
    this.#egress = new VideoEgress({ onError: (m) => this.#error(m) });
    this.#subs.push(
      this.#pipeline.output$.subscribe((f) => {
        if (!this.#egress.send(f.frame)) this.#pipeline.noteDownstreamDrop();
      }),
      this.#pipeline.events$.subscribe((e) => {
        if (e.type === 'applied') this.#broadcast({ type: 'applied', chunk: e.chunk, params: e.params });
        else if (e.type === 'error') this.#error(e.message);
      }),
    );
    this.#pc = createPeer();
    this.#watchPeer(this.#pc, () => void this.close('the camera peer disconnected'));
    this.#pc.onDataChannel.subscribe((dc) => this.#attachChannel(dc));
    let lastTick = performance.now();
    this.#watchdog = setInterval(() => {
      const now = performance.now();
      if (inputStopped({ now, lastTick, lastPacketAt: this.#ingest?.lastPacketAt, timeoutMs: opts.inputTimeoutMs ?? 4000 })) void this.close('the camera stopped sending video');
      lastTick = now;
    }, WATCHDOG_TICK_MS);
    // werift announces remote tracks while applying the offer, before answer() could subscribe per transceiver.
    this.#pc.ontrack = (e) => {
      if (e.track.kind === 'video') this.#startIngest(e.transceiver, e.track);
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  get params() {
    return this.#pipeline.params;
  }

  onClosed(fn: () => void): void {
    this.#onClosed.push(fn);
  }

  /** Answers the camera's offer. Browser sessions send the output back on the same transceiver. */
  async answer(offerSdp: string): Promise<string> {
    return answerOffer(this.#pc, offerSdp, (video) => {
      video.setDirection(this.kind === 'browser' ? 'sendrecv' : 'recvonly');
      if (this.kind === 'browser') this.#addViewerTransceiver(video);
    });
  }

  /** Adds a WHEP player; returns its id and the SDP answer. */
  async addViewer(offerSdp: string): Promise<{ viewerId: string; sdp: string }> {
    if (this.#closed) throw new Error('session is closed');
    const pc = createPeer();
    const viewerId = randomUUID();
    try {
      const sdp = await answerOffer(pc, offerSdp, (video) => {
        video.setDirection('sendonly');
        this.#addViewerTransceiver(video);
      });
      this.#viewers.set(viewerId, pc);
      this.#watchPeer(pc, () => void this.removeViewer(viewerId));
      // A player sends receiver reports about once a second; silence means its page is gone.
      let lastRtcp = performance.now();
      for (const t of pc.getTransceivers()) t.sender.onRtcp.subscribe(() => (lastRtcp = performance.now()));
      const timer = setInterval(() => {
        if (!this.#viewers.has(viewerId)) clearInterval(timer);
        else if (performance.now() - lastRtcp > 8000) {
          clearInterval(timer);
          void this.removeViewer(viewerId);
        }
      }, 1000);
      timer.unref();
      return { viewerId, sdp };
    } catch (err) {
      await pc.close().catch(() => undefined);
      throw err;
    }
  }

  async removeViewer(viewerId: string): Promise<boolean> {
    const pc = this.#viewers.get(viewerId);
    if (!pc) return false;
    this.#viewers.delete(viewerId);
    for (const t of pc.getTransceivers()) this.#egress.removeSender(t.sender);
    await pc.close().catch(() => undefined);
    return true;
  }

  hasViewer(viewerId: string): boolean {
    return this.#viewers.has(viewerId);
  }

  /** Stores an uploaded reference image; returns the id to put in `referenceId`. */
  addReference(image: RgbImage): string {
    return this.#pipeline.addReference(image);
  }

  updateParams(input: unknown): Promise<UpdateResult> {
    return this.#pipeline.updateParams(input);
  }

  /** Handles one text message (data channel or WebSocket) and returns the reply. */
  async handleMessage(raw: string): Promise<object> {
    const msg = parseClientMessage(raw);
    if (!msg.ok) return { type: 'error', message: msg.error };
    const m = msg.value;
    switch (m.type) {
      case 'params': {
        const r = await this.#pipeline.updateParams(m.params);
        return r.ok ? { type: 'ack', id: m.id, acceptedAtChunk: r.acceptedAtChunk, params: r.params } : { type: 'error', id: m.id, message: r.error };
      }
      case 'stats':
        return { type: 'stats', id: m.id, stats: this.stats() };
      case 'ping':
        return { type: 'pong', id: m.id, t: m.t, serverTime: Date.now() };
    }
  }

  /** Live messages (applied params, errors, stats) for a WebSocket or data channel. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  stats(): SessionStats {
    const p = this.#pipeline.stats();
    return {
      ...p,
      id: this.id,
      kind: this.kind,
      state: this.#closed ? 'closed' : this.#pc.connectionState,
      width: this.width,
      height: this.height,
      viewers: this.#egress.viewers,
      inputCodec: this.#ingest?.codec ?? null,
      framesReceived: this.#ingest?.framesReceived ?? 0,
      framesDecoded: this.#framesDecoded,
      framesEncoded: this.#egress.sentFrames,
      encoderDrops: this.#egress.droppedFrames,
      keyframesSent: this.#egress.keyframes,
      uptimeS: Math.round((performance.now() - this.#started) / 100) / 10,
      errors: this.#errors.slice(-5),
    };
  }

  close(reason = 'closed'): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    this.#closing = (async () => {
      this.#opts.log?.(`session ${this.id} ending: ${reason}`);
      clearTimeout(this.#disconnectTimer);
      clearInterval(this.#watchdog);
      this.#broadcast({ type: 'closed', reason });
      this.#subs.forEach((s) => s.unsubscribe());
      await this.#ingest?.close();
      await this.#pipeline.close();
      await this.#egress.close();
      for (const id of [...this.#viewers.keys()]) await this.removeViewer(id);
      await this.#pc.close().catch(() => undefined);
      this.#listeners.clear();
      this.#channels.clear();
      for (const fn of this.#onClosed) fn();
    })();
    return this.#closing;
  }

  #addViewerTransceiver(video: RTCRtpTransceiver): void {
    // A track gives the answer an msid, so the browser fires ontrack with a stream.
    void video.sender.replaceTrack(new MediaStreamTrack({ kind: 'video' })).catch(() => undefined);
    this.#egress.addSender(video.sender);
  }

  #startIngest(video: RTCRtpTransceiver, track: MediaStreamTrack): void {
    if (this.#ingest || this.#closed) return;
    try {
      this.#ingest = new VideoIngest(video, track, {
        width: this.width,
        height: this.height,
        onFrame: (f) => {
          this.#framesDecoded++;
          this.#pipeline.pushFrame(f);
        },
        onError: (m) => this.#error(m),
      });
    } catch (err) {
      this.#error(err instanceof Error ? err.message : String(err));
    }
  }

  #attachChannel(dc: RTCDataChannel): void {
    this.#channels.add(dc);
    const send = (m: object) => {
      if (dc.readyState === 'open') dc.send(JSON.stringify(m));
    };
    const off = this.subscribe(send);
    dc.onMessage.subscribe((data) => {
      void this.handleMessage(typeof data === 'string' ? data : data.toString('utf8')).then(send);
    });
    dc.stateChanged.subscribe((s) => {
      if (s === 'closed') {
        off();
        this.#channels.delete(dc);
      }
    });
    send({ type: 'hello', session: this.id, params: this.params });
  }

  #watchPeer(pc: RTCPeerConnection, onGone: () => void): void {
    const grace = this.#opts.disconnectGraceMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    pc.connectionStateChange.subscribe((s) => {
      clearTimeout(timer);
      if (s === 'failed' || s === 'closed') onGone();
      else if (s === 'disconnected') timer = setTimeout(onGone, grace);
    });
  }

  #broadcast(m: object): void {
    for (const l of this.#listeners) l(m);
  }

  #error(message: string): void {
    this.#errors.push(message);
    if (this.#errors.length > 20) this.#errors.shift();
    this.#opts.log?.(`session ${this.id}: ${message}`);
    this.#broadcast({ type: 'error', message });
  }
}
