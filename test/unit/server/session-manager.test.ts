/**
 * SessionManager: the session limit, create/close bookkeeping, and that every failed create
 * (bad offer, bad parameters, a generator factory that fails) leaves no session behind.
 * Offers come from werift peers on loopback; no browser, no HTTP server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { RTCPeerConnection } from 'werift';
import { createControl } from '../../../controls/registry.ts';
import { liveFfmpegChildren } from '../../../src/media/ffmpeg-process.ts';
import { BadOfferError } from '../../../src/media/peer.ts';
import type { ChunkGenerator } from '../../../src/pipeline/generator-types.ts';
import { InvalidSessionParamsError, SessionLimitError, SessionManager, type SessionManagerOptions } from '../../../src/server/session-manager.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import type { ControlSource } from '../../../src/stream/session-pipeline.ts';

const controls: ControlSource = {
  list: () => [{ id: 'passthrough' }, { id: 'gray' }],
  create: (id) => createControl(id),
};

const clients: RTCPeerConnection[] = [];
const managers: SessionManager[] = [];

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.closeAll()));
  await Promise.all(clients.splice(0).map((pc) => pc.close().catch(() => undefined)));
});

function manager(opts: Partial<SessionManagerOptions> = {}): { m: SessionManager; logs: string[] } {
  const logs: string[] = [];
  const m = new SessionManager({ controls, generators: new GeneratorRegistry(), log: (s) => logs.push(s), ...opts });
  managers.push(m);
  return { m, logs };
}

/** A camera's SDP offer from a werift peer (a browser stand-in), candidates gathered. */
async function offer(): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] });
  clients.push(pc);
  pc.addTransceiver('video', { direction: 'sendrecv' });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
  }
  return pc.localDescription!.sdp;
}

/** A generator that is never asked to generate here; counts dispose() calls. */
function fakeGenerator(): ChunkGenerator & { disposed: number } {
  return {
    id: 'fake',
    disposed: 0,
    outputSize: (width, height) => ({ width, height }),
    framesForNextChunk: () => 1,
    generate: () => Promise.reject(new Error('fake generator: not used in this test')),
    reset: () => undefined,
    async dispose() {
      this.disposed++;
    },
  };
}

const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as Error);

describe('SessionManager', () => {
  it('creates sessions with distinct ids, answers their offers, and finds them again', async () => {
    const { m } = manager();
    const a = await m.create({ kind: 'browser', offerSdp: await offer() });
    const b = await m.create({ kind: 'whip', offerSdp: await offer(), width: 320, height: 240, params: { prompt: 'a red fox', control: 'gray' } });
    expect(a.answer).toMatch(/^v=0\r\n[\s\S]*\r\nm=video /);
    expect(a.answer).toMatch(/\r\na=sendrecv\r\n/); // browser sessions get the output back on the same transceiver
    expect(b.answer).toMatch(/\r\na=recvonly\r\n/); // WHIP publishers only send
    expect(a.session.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(a.session.id).not.toBe(b.session.id);
    expect(m.size).toBe(2);
    expect(m.get(a.session.id)).toBe(a.session);
    expect(m.get(b.session.id)).toBe(b.session);
    expect(m.get('no-such-id')).toBeUndefined();
    expect(m.list()).toEqual([a.session, b.session]);
    expect([a.session.kind, a.session.width, a.session.height]).toEqual(['browser', 640, 360]);
    expect([b.session.kind, b.session.width, b.session.height]).toEqual(['whip', 320, 240]);
    expect(b.session.params).toMatchObject({ mode: 'preview', prompt: 'a red fox', control: 'gray' });
  });

  it('refuses a session over the limit with SessionLimitError, and has room again after one ends', async () => {
    const { m } = manager({ maxSessions: 2 });
    const first = await m.create({ kind: 'browser', offerSdp: await offer() });
    await m.create({ kind: 'browser', offerSdp: await offer() });
    const sdp = await offer();
    const err = await errorOf(m.create({ kind: 'browser', offerSdp: sdp }));
    expect(err).toBeInstanceOf(SessionLimitError);
    expect(err.name).toBe('SessionLimitError');
    expect(err.message).toBe('the server already runs 2 sessions, its limit; end one first');
    expect(m.size).toBe(2);

    await first.session.close('test');
    expect(m.size).toBe(1);
    expect(m.get(first.session.id)).toBeUndefined();
    await m.create({ kind: 'browser', offerSdp: sdp });
    expect(m.size).toBe(2);
  });

  it('counts a session still answering its offer against the limit (concurrent creates)', async () => {
    const { m } = manager({ maxSessions: 1 });
    const [s1, s2] = [await offer(), await offer()];
    // Both calls start before either has answered: the first holds its slot from the start.
    const [x, y] = await Promise.allSettled([m.create({ kind: 'browser', offerSdp: s1 }), m.create({ kind: 'browser', offerSdp: s2 })]);
    expect(x.status).toBe('fulfilled');
    expect(y.status).toBe('rejected');
    expect((y as PromiseRejectedResult).reason).toBeInstanceOf(SessionLimitError);
    expect(m.size).toBe(1);
  });

  it('ending a session twice is harmless; closeAll ends the rest and frees everything', async () => {
    const ffmpegBefore = liveFfmpegChildren();
    const { m, logs } = manager();
    const a = await m.create({ kind: 'browser', offerSdp: await offer() });
    const b = await m.create({ kind: 'whip', offerSdp: await offer() });
    const closing = a.session.close('first');
    expect(a.session.close('second')).toBe(closing); // the same close, not a second one
    await closing;
    await a.session.close('third');
    expect(a.session.closed).toBe(true);
    expect(logs.filter((l) => l.startsWith(`session ${a.session.id} ending`))).toEqual([`session ${a.session.id} ending: first`]);
    expect(m.list()).toEqual([b.session]);

    await m.closeAll();
    expect(m.size).toBe(0);
    expect(b.session.closed).toBe(true);
    expect(logs).toContain(`session ${b.session.id} ending: server shutting down`);
    await m.closeAll(); // nothing left: a no-op
    expect(liveFfmpegChildren()).toBe(ffmpegBefore);
  });

  it('a bad offer rejects with BadOfferError and frees the session (and its slot)', async () => {
    const { m, logs } = manager({ maxSessions: 1 });
    const err = await errorOf(m.create({ kind: 'browser', offerSdp: (await offer()).replace(/m=video [^\r\n]*/, 'm=video x y z') }));
    expect(err).toBeInstanceOf(BadOfferError);
    expect(m.size).toBe(0);
    expect(logs.some((l) => /^session \S+ ending: the offer could not be answered$/.test(l))).toBe(true);
    await m.create({ kind: 'browser', offerSdp: await offer() });
    expect(m.size).toBe(1);
  });

  it('invalid initial parameters are refused before any session exists', async () => {
    const { m, logs } = manager();
    await expect(m.create({ kind: 'browser', offerSdp: await offer(), params: { seed: 'x' } as never })).rejects.toThrow(/^invalid parameters: seed/);
    await expect(m.create({ kind: 'browser', offerSdp: await offer(), params: { control: 'no-such-control' } })).rejects.toThrow(/unknown control 'no-such-control'; available: passthrough, gray/);
    expect(m.size).toBe(0);
    expect(logs).toEqual([]);
  });

  it('generate mode without a model, or with a failing generator factory, is InvalidSessionParamsError and leaves no session', async () => {
    const noModel = manager().m;
    const e1 = await errorOf(noModel.create({ kind: 'browser', offerSdp: await offer(), params: { mode: 'generate' } }));
    expect(e1).toBeInstanceOf(InvalidSessionParamsError);
    expect(e1.name).toBe('InvalidSessionParamsError');
    expect(e1.message).toMatch(/^no model loaded/);
    expect(noModel.size).toBe(0);

    const generators = new GeneratorRegistry();
    const asked: { width: number; height: number }[] = [];
    generators.register({ id: 'broken', title: 'broken' }, (o) => {
      asked.push(o);
      throw new Error('weights file is truncated');
    });
    const failing = manager({ generators }).m;
    const e2 = await errorOf(failing.create({ kind: 'whip', offerSdp: await offer(), width: 320, height: 240, params: { mode: 'generate' } }));
    expect(e2).toBeInstanceOf(InvalidSessionParamsError);
    expect(e2.message).toBe('weights file is truncated');
    expect(asked).toEqual([{ width: 320, height: 240 }]);
    expect(failing.size).toBe(0);
  });

  it('generate mode with a working factory makes one generator per session, disposed when the session ends or its offer fails', async () => {
    const made: ReturnType<typeof fakeGenerator>[] = [];
    const generators = new GeneratorRegistry();
    generators.register({ id: 'fake', title: 'fake' }, () => {
      const g = fakeGenerator();
      made.push(g);
      return g;
    });
    const { m } = manager({ generators });
    const ok = await m.create({ kind: 'browser', offerSdp: await offer(), params: { mode: 'generate', prompt: 'x' } });
    expect(made).toHaveLength(1);

    const bad = await errorOf(m.create({ kind: 'browser', offerSdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n', params: { mode: 'generate' } }));
    expect(bad).toBeInstanceOf(BadOfferError);
    expect(made).toHaveLength(2);
    expect(made[1]!.disposed).toBe(1);
    expect(m.size).toBe(1);

    await ok.session.close();
    expect(made[0]!.disposed).toBe(1);
    expect(m.size).toBe(0);
  });
});
