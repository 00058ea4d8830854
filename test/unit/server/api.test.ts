import type { InjectOptions } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../src/cli/serve.ts';
import { liveFfmpegChildren } from '../../../src/media/ffmpeg-process.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import { makeOffer } from '../../support/werift-offer.ts';

let server: RunningServer;
const peers: RTCPeerConnection[] = [];

beforeAll(async () => {
  server = await startServer({ port: 0, generators: new GeneratorRegistry(), clientDir: '/nonexistent-client-dir' });
});

afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await server.close();
});

const inject = (o: InjectOptions) => server.app.fastify.inject(o);

async function createSession(): Promise<{ id: string; sdp: string }> {
  const { pc, sdp } = await makeOffer();
  peers.push(pc);
  const res = await inject({ method: 'POST', url: '/api/sessions', payload: { sdp } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe('live server API', () => {
  it('reports health and listens on 127.0.0.1 only', async () => {
    const res = await inject({ method: 'GET', url: '/api/health' });
    expect(res.json()).toMatchObject({ ok: true, sessions: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('lists controls and says generate mode is unavailable without a model', async () => {
    const body = (await inject({ method: 'GET', url: '/api/models' })).json();
    expect(body.controls.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(['passthrough', 'gray', 'edges']));
    expect(body.modes).toContainEqual({ id: 'generate', available: false });
    expect(body.generators).toEqual([]);
    expect(Array.isArray(body.presets)).toBe(true);
    for (const p of body.presets) expect(p).toMatchObject({ name: expect.any(String), ready: expect.any(Boolean) });
  });

  it('rejects a session request with bad SDP with a 400 that says why', async () => {
    const res = await inject({ method: 'POST', url: '/api/sessions', payload: { sdp: 'hello' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/v=0/);
    const missing = await inject({ method: 'POST', url: '/api/sessions', payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatch(/sdp/);
  });

  it('rejects an offer without video', async () => {
    const res = await inject({ method: 'POST', url: '/api/sessions', payload: { sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/m=video/);
  });

  it('survives corrupted offers: each gets a 4xx and the server keeps answering', async () => {
    const { pc, sdp } = await makeOffer();
    peers.push(pc);
    const corruptions = [
      sdp.replace(/a=fingerprint:[^\r\n]*/, 'a=fingerprint:sha-256 zz'),
      sdp.replace(/a=rtpmap:[^\r\n]*/g, ''),
      sdp.replace(/m=video [^\r\n]*/, 'm=video x y z'),
      sdp.replace(/a=ice-pwd:[^\r\n]*/, ''),
      sdp.slice(0, Math.floor(sdp.length / 2)),
      sdp.replace(/a=setup:[^\r\n]*/, 'a=setup:nonsense'),
      sdp.replace(/m=video/, 'm=audio') + 'm=video 9 UDP/TLS/RTP/SAVPF 200\r\n',
    ];
    for (const bad of corruptions) {
      const res = await inject({ method: 'POST', url: '/api/sessions', payload: { sdp: bad } });
      expect(res.statusCode, `corruption #${corruptions.indexOf(bad)} was accepted`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode).toBeLessThan(500);
      expect(res.json().error).toEqual(expect.any(String));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect((await inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ ok: true, sessions: 0 });
  });

  it('refuses sessions beyond its limit with a 503 that says so', async () => {
    const small = await startServer({ port: 0, maxSessions: 1, generators: new GeneratorRegistry(), clientDir: '/nonexistent-client-dir' });
    try {
      const a = await makeOffer();
      const b = await makeOffer();
      peers.push(a.pc, b.pc);
      expect((await small.app.fastify.inject({ method: 'POST', url: '/api/sessions', payload: { sdp: a.sdp } })).statusCode).toBe(201);
      const over = await small.app.fastify.inject({ method: 'POST', url: '/api/sessions', payload: { sdp: b.sdp } });
      expect(over.statusCode).toBe(503);
      expect(over.json().error).toMatch(/limit/);
    } finally {
      await small.close();
    }
  });

  it('answers 404 for an unknown session on every session route', async () => {
    for (const [method, url] of [['GET', '/api/sessions/nope/stats'], ['PATCH', '/api/sessions/nope/params'], ['DELETE', '/api/sessions/nope'], ['DELETE', '/whip/nope']] as const) {
      const res = await inject({ method, url, payload: method === 'PATCH' ? {} : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json().error).toMatch(/no session with id 'nope'/);
    }
  });

  it('creates a session from a real offer, validates parameter updates, and ends it', async () => {
    const { id, sdp } = await createSession();
    expect(sdp).toMatch(/^v=0/);
    expect(sdp).toMatch(/a=candidate:.* 127\.0\.0\.1 /);
    expect(sdp).toMatch(/VP8\/90000/);

    const bad = await inject({ method: 'PATCH', url: `/api/sessions/${id}/params`, payload: { contextScale: 99 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/contextScale/);
    const unknownControl = await inject({ method: 'PATCH', url: `/api/sessions/${id}/params`, payload: { control: 'nope' } });
    expect(unknownControl.statusCode).toBe(400);
    const noModel = await inject({ method: 'PATCH', url: `/api/sessions/${id}/params`, payload: { mode: 'generate' } });
    expect(noModel.statusCode).toBe(400);
    expect(noModel.json().error).toMatch(/no model loaded/);

    const ok = await inject({ method: 'PATCH', url: `/api/sessions/${id}/params`, payload: { control: 'gray', prompt: 'a fox' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().params).toMatchObject({ control: 'gray', prompt: 'a fox', mode: 'preview' });

    const stats = (await inject({ method: 'GET', url: `/api/sessions/${id}/stats` })).json();
    expect(stats).toMatchObject({ id, kind: 'browser', width: 640, height: 360 });

    expect((await inject({ method: 'DELETE', url: `/api/sessions/${id}` })).statusCode).toBe(204);
    expect((await inject({ method: 'GET', url: `/api/sessions/${id}/stats` })).statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: '/api/health' })).json().ok).toBe(true);
  });

  it('accepts a reference image upload and sets it as the session reference', async () => {
    const { id } = await createSession();
    const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 200, g: 10, b: 10 } } }).png().toBuffer();
    const res = await inject({ method: 'POST', url: `/api/sessions/${id}/reference`, headers: { 'content-type': 'image/png' }, payload: png });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ referenceId: 'ref-1', width: 8, height: 6 });
    const broken = await inject({ method: 'POST', url: `/api/sessions/${id}/reference`, headers: { 'content-type': 'image/png' }, payload: Buffer.from('not a png') });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error).toMatch(/could not be decoded/);
    const none = await inject({ method: 'POST', url: `/api/sessions/${id}/reference`, payload: { x: 1 } });
    expect(none.statusCode).toBe(415);
    await inject({ method: 'DELETE', url: `/api/sessions/${id}` });
  });

  it('refuses a session that asks for generate mode when no model is loaded, and keeps none behind', async () => {
    const { pc, sdp } = await makeOffer();
    peers.push(pc);
    const res = await inject({ method: 'POST', url: '/api/sessions', payload: { sdp, params: { mode: 'generate' } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatch(/no model loaded/);
    expect((await inject({ method: 'GET', url: '/api/health' })).json().sessions).toBe(0);
  });

  it('creates and ends several sessions concurrently without leaking any (bounded: 6)', async () => {
    const offers = await Promise.all(Array.from({ length: 6 }, () => makeOffer()));
    peers.push(...offers.map((o) => o.pc));
    const created = await Promise.all(offers.map((o) => inject({ method: 'POST', url: '/api/sessions', payload: { sdp: o.sdp } })));
    expect(created.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    const ids = created.map((r) => r.json().id as string);
    expect(new Set(ids).size).toBe(6);
    expect((await inject({ method: 'GET', url: '/api/health' })).json().sessions).toBe(6);
    const ended = await Promise.all(ids.map((id) => inject({ method: 'DELETE', url: `/api/sessions/${id}` })));
    expect(ended.map((r) => r.statusCode)).toEqual(Array(6).fill(204));
    expect((await inject({ method: 'GET', url: '/api/health' })).json().sessions).toBe(0);
    expect(liveFfmpegChildren()).toBe(0);
  });

  it('keeps two sessions isolated', async () => {
    const a = await createSession();
    const b = await createSession();
    await inject({ method: 'PATCH', url: `/api/sessions/${a.id}/params`, payload: { seed: 1 } });
    await inject({ method: 'PATCH', url: `/api/sessions/${b.id}/params`, payload: { seed: 2 } });
    await new Promise((r) => setTimeout(r, 20));
    await inject({ method: 'DELETE', url: `/api/sessions/${a.id}` });
    expect((await inject({ method: 'GET', url: `/api/sessions/${b.id}` })).json().stats.state).not.toBe('closed');
    const pending = await inject({ method: 'PATCH', url: `/api/sessions/${b.id}/params`, payload: {} });
    expect(pending.json().params.seed).toBe(2);
    await inject({ method: 'DELETE', url: `/api/sessions/${b.id}` });
  });

  it('speaks WHIP: 415 without application/sdp, 400 for a broken offer, 201 + Location for a good one, DELETE ends it', async () => {
    expect((await inject({ method: 'POST', url: '/whip', payload: { sdp: 'x' } })).statusCode).toBe(415);
    const broken = await inject({ method: 'POST', url: '/whip', headers: { 'content-type': 'application/sdp' }, payload: 'garbage' });
    expect(broken.statusCode).toBe(400);
    const { pc, sdp } = await makeOffer('sendonly');
    peers.push(pc);
    const res = await inject({ method: 'POST', url: '/whip', headers: { 'content-type': 'application/sdp' }, payload: sdp });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toMatch(/application\/sdp/);
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/whip\/[0-9a-f-]{36}$/);
    expect(res.body).toMatch(/a=recvonly/);

    const id = location.split('/').pop()!;
    const whep = await makeOffer('recvonly');
    peers.push(whep.pc);
    const play = await inject({ method: 'POST', url: `/whep/${id}`, headers: { 'content-type': 'application/sdp' }, payload: whep.sdp });
    expect(play.statusCode, play.body).toBe(201);
    expect(play.body).toMatch(/a=sendonly/);
    expect(String(play.headers.location)).toMatch(new RegExp(`^/whep/${id}/`));
    expect((await inject({ method: 'DELETE', url: String(play.headers.location) })).statusCode).toBe(200);

    expect((await inject({ method: 'DELETE', url: location })).statusCode).toBe(200);
    expect((await inject({ method: 'DELETE', url: location })).statusCode).toBe(404);
  });

  it('takes parameters over the WebSocket and answers invalid messages with an error', async () => {
    const { id } = await createSession();
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/sessions/${id}/ws`);
    const messages: { type: string; [k: string]: unknown }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const next = async (type: string) => {
      for (let i = 0; i < 200; i++) {
        const idx = messages.findIndex((m) => m.type === type);
        if (idx >= 0) return messages.splice(idx, 1)[0];
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`no '${type}' message`);
    };
    ws.send(JSON.stringify({ type: 'params', id: 1, params: { control: 'edges' } }));
    expect(await next('ack')).toMatchObject({ id: 1, params: { control: 'edges' } });
    ws.send('not json');
    expect((await next('error')).message).toMatch(/not valid JSON/);
    ws.send(JSON.stringify({ type: 'params', id: 2, params: { seed: 'x' } }));
    expect(await next('error')).toMatchObject({ id: 2, message: expect.stringMatching(/seed/) });
    expect((await next('stats')).stats).toMatchObject({ id });
    ws.close();
    await inject({ method: 'DELETE', url: `/api/sessions/${id}` });
  });

  it('refuses a WebSocket for an unknown session', async () => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api/sessions/nope/ws`);
    const err = await new Promise<Error>((r) => ws.once('error', r));
    expect(err.message).toMatch(/404/);
    // A malformed escape in the id is just an unknown session, not an exception in the upgrade handler.
    const bad = new WebSocket(`${server.url.replace('http', 'ws')}/api/sessions/%zz/ws`);
    expect((await new Promise<Error>((r) => bad.once('error', r))).message).toMatch(/404/);
    expect((await inject({ method: 'GET', url: '/api/health' })).json().ok).toBe(true);
  });

  it('says how to build the client when it is missing', async () => {
    const res = await inject({ method: 'GET', url: '/' });
    expect(res.body).toMatch(/build:client/);
  });
});
