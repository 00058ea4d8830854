/**
 * Access control of the live server (src/server/access.ts) on real servers listening on 127.0.0.1:
 * the token on every API, WHIP, WHEP and WebSocket route, CORS default vs --cors-origin, the
 * loopback Host check, and URL tricks on the static routes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import { startServer, type RunningServer } from '../../../src/cli/serve.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import { makeOffer } from '../../support/werift-offer.ts';

const TOKEN = 'test-token-0123456789abcdef';
const WRONG = 'test-token-0123456789abcdeX';
const ALLOWED = 'https://studio.example';
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

let dir: string;
let clientDir: string;
const servers: RunningServer[] = [];
const peers: RTCPeerConnection[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vace-access-'));
  clientDir = join(dir, 'client');
  mkdirSync(clientDir);
  writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>vace-live page</title>');
  writeFileSync(join(clientDir, 'output.html'), '<!doctype html><title>vace-live output</title>');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET-OUTSIDE-THE-CLIENT');
});

afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(opts: { token?: string; corsOrigins?: string[] } = {}): Promise<RunningServer> {
  const s = await startServer({ host: '127.0.0.1', port: 0, generators: new GeneratorRegistry(), clientDir, ...opts });
  servers.push(s);
  return s;
}

async function offer(direction: 'sendrecv' | 'sendonly' | 'recvonly'): Promise<string> {
  const { pc, sdp } = await makeOffer(direction);
  peers.push(pc);
  return sdp;
}

function expectTokenRefusal(res: LightMyRequestResponse, what: string, error?: 'invalid_token'): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBe(401);
  const challenge = String(res.headers['www-authenticate']);
  expect(challenge, what).toMatch(/^Bearer\b/);
  if (error) expect(challenge).toContain(`error="${error}"`);
  else expect(challenge).not.toContain('error=');
  expect(res.json().error, what).toEqual(expect.any(String));
}

/** Every route of the server as [method, url] with sample ids, from Fastify's own route tree. */
function routesOf(s: RunningServer): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of s.app.fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│\s]*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:\w+/g, 'some-id');
    for (const method of m[3]!.split(', ')) out.push([method, path]);
  }
  return out;
}

/** Opens a WebSocket: 101 and the socket with the messages it got from the start, or the refusal's status. */
function wsOpen(url: string, headers: Record<string, string> = {}): Promise<{ status: number; ws?: WebSocket; messages: { type: string }[] }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const messages: { type: string }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.once('open', () => resolve({ status: 101, ws, messages }));
    ws.once('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, messages });
      res.resume();
    });
    ws.once('error', () => resolve({ status: 0, messages }));
  });
}

describe('with --token', () => {
  let s: RunningServer;
  const inject = (o: InjectOptions) => s.app.fastify.inject(o);
  beforeAll(async () => {
    s = await serve({ token: TOKEN });
  });

  it('every API, WHIP and WHEP route refuses a request without the token (401, WWW-Authenticate: Bearer)', async () => {
    const routes = routesOf(s).filter(([method, path]) => method !== 'HEAD' && path !== '*' && path !== '/api/health');
    // The route tree is parsed, not assumed: the known routes must all be in it.
    expect(routes).toEqual(
      expect.arrayContaining([
        ['GET', '/api/models'],
        ['POST', '/api/sessions'],
        ['PATCH', '/api/sessions/some-id/params'],
        ['POST', '/api/sessions/some-id/reference'],
        ['POST', '/api/sessions/some-id/end'],
        ['DELETE', '/api/sessions/some-id'],
        ['POST', '/whip'],
        ['DELETE', '/whip/some-id'],
        ['POST', '/whep/some-id'],
        ['DELETE', '/whep/some-id/some-id'],
      ]),
    );
    for (const [method, url] of routes) {
      const res = await inject({ method: method as InjectOptions['method'], url, headers: { 'content-type': 'application/json' }, payload: method === 'GET' || method === 'DELETE' ? undefined : '{}' });
      expectTokenRefusal(res, `${method} ${url}`);
    }
  });

  it('refuses a wrong token in the header or the query; takes the right one either way', async () => {
    expectTokenRefusal(await inject({ method: 'GET', url: '/api/sessions', headers: bearer(WRONG) }), 'wrong bearer', 'invalid_token');
    expectTokenRefusal(await inject({ method: 'GET', url: `/api/sessions?token=${WRONG}` }), 'wrong query', 'invalid_token');
    expectTokenRefusal(await inject({ method: 'GET', url: '/api/sessions', headers: { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` } }), 'basic', 'invalid_token');
    expectTokenRefusal(await inject({ method: 'GET', url: '/api/sessions', headers: bearer(TOKEN.slice(0, -1)) }), 'prefix', 'invalid_token');
    expectTokenRefusal(await inject({ method: 'GET', url: '/api/sessions', headers: bearer(`${TOKEN}x`) }), 'longer', 'invalid_token');
    // The header decides when both are given.
    expectTokenRefusal(await inject({ method: 'GET', url: `/api/sessions?token=${TOKEN}`, headers: bearer(WRONG) }), 'header over query', 'invalid_token');
    expect((await inject({ method: 'GET', url: '/api/sessions', headers: bearer(TOKEN) })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: '/api/sessions', headers: { authorization: `bearer  ${TOKEN}` } })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: `/api/models?token=${TOKEN}` })).statusCode).toBe(200);
  });

  it('lets no URL spelling reach a route without the token', async () => {
    for (const url of ['/%61pi/sessions', '/x/../api/sessions', '/api/sessions/', '/api/sessions?token=', '/api/sessions?token', '/api/health/../sessions', '/whip?token=%20']) {
      const res = await inject({ method: 'GET', url });
      expect(res.statusCode, url).not.toBe(200);
      expect(res.body, url).not.toMatch(/"sessions":\[/);
    }
    const whip = await inject({ method: 'POST', url: '/%77hip', headers: { 'content-type': 'application/sdp' }, payload: await offer('sendonly') });
    expect(whip.statusCode).not.toBe(201);
    expect(s.app.sessions.size).toBe(0);
  });

  it('speaks WHIP and WHEP per RFC 9725: 401 + WWW-Authenticate: Bearer without the token, 201 with it', async () => {
    const sdp = { 'content-type': 'application/sdp' };
    const publish = await offer('sendonly');
    expectTokenRefusal(await inject({ method: 'POST', url: '/whip', headers: sdp, payload: publish }), 'WHIP without token');
    expectTokenRefusal(await inject({ method: 'POST', url: '/whip', headers: { ...sdp, ...bearer(WRONG) }, payload: publish }), 'WHIP wrong token', 'invalid_token');
    expect(s.app.sessions.size).toBe(0);
    const created = await inject({ method: 'POST', url: '/whip', headers: { ...sdp, ...bearer(TOKEN) }, payload: publish });
    expect(created.statusCode, created.body).toBe(201);
    const location = String(created.headers.location);
    const id = location.split('/').pop()!;

    const play = await offer('recvonly');
    expectTokenRefusal(await inject({ method: 'POST', url: `/whep/${id}`, headers: sdp, payload: play }), 'WHEP without token');
    expectTokenRefusal(await inject({ method: 'POST', url: `/whep/${id}`, headers: { ...sdp, ...bearer(WRONG) }, payload: play }), 'WHEP wrong token', 'invalid_token');
    // An OBS browser source cannot set headers: the output page plays with ?token=.
    const viewer = await inject({ method: 'POST', url: `/whep/${id}?token=${TOKEN}`, headers: sdp, payload: play });
    expect(viewer.statusCode, viewer.body).toBe(201);
    const resource = String(viewer.headers.location);

    expectTokenRefusal(await inject({ method: 'DELETE', url: resource }), 'WHEP DELETE without token');
    expect(s.app.sessions.get(id)!.hasViewer(resource.split('/').pop()!)).toBe(true);
    expect((await inject({ method: 'DELETE', url: resource, headers: bearer(TOKEN) })).statusCode).toBe(200);
    expectTokenRefusal(await inject({ method: 'DELETE', url: location }), 'WHIP DELETE without token');
    expect(s.app.sessions.size).toBe(1);
    expect((await inject({ method: 'DELETE', url: location, headers: bearer(TOKEN) })).statusCode).toBe(200);
    expect(s.app.sessions.size).toBe(0);
  });

  it('opens the WebSocket only with the token: none or wrong → 401, Bearer header or ?token= → open', async () => {
    const created = await inject({ method: 'POST', url: '/api/sessions', headers: bearer(TOKEN), payload: { sdp: await offer('sendrecv') } });
    expect(created.statusCode, created.body).toBe(201);
    const url = `${s.url.replace('http', 'ws')}${created.json().ws}`;
    expect((await wsOpen(url)).status).toBe(401);
    expect((await wsOpen(url, bearer(WRONG))).status).toBe(401);
    expect((await wsOpen(`${url}?token=${WRONG}`)).status).toBe(401);
    // A wrong token never reveals whether the session exists.
    expect((await wsOpen(`${s.url.replace('http', 'ws')}/api/sessions/nope/ws`)).status).toBe(401);
    for (const open of [await wsOpen(url, bearer(TOKEN)), await wsOpen(`${url}?token=${TOKEN}`)]) {
      expect(open.status).toBe(101);
      for (let i = 0; i < 100 && open.messages.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(open.messages[0]?.type).toBe('hello');
      open.ws!.close();
    }
    await inject({ method: 'DELETE', url: `/api/sessions/${created.json().id}`, headers: bearer(TOKEN) });
  });

  it('keeps /api/health open, telling nothing but that it is up and wants a token', async () => {
    const open = await inject({ method: 'GET', url: '/api/health' });
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual({ ok: true, tokenRequired: true });
    expect((await inject({ method: 'GET', url: '/api/health', headers: bearer(WRONG) })).json()).toEqual({ ok: true, tokenRequired: true });
    expect((await inject({ method: 'GET', url: '/api/health', headers: bearer(TOKEN) })).json()).toMatchObject({ ok: true, tokenRequired: true, sessions: expect.any(Number), uptimeS: expect.any(Number) });
  });

  it('serves the page without the token (the page asks for it)', async () => {
    for (const url of ['/', '/index.html', '/output.html?session=x']) {
      const res = await inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toMatch(/vace-live/);
    }
  });
});

describe('CORS', () => {
  it('is same-origin by default: no Access-Control-Allow-Origin, cross-origin preflights refused', async () => {
    const s = await serve({ token: TOKEN });
    const get = await s.app.fastify.inject({ method: 'GET', url: '/api/models', headers: { origin: ALLOWED, ...bearer(TOKEN) } });
    expect(get.statusCode).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(get.headers['access-control-expose-headers']).toBeUndefined();
    const pre = await s.app.fastify.inject({ method: 'OPTIONS', url: '/whip', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(pre.statusCode).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-methods']).toBeUndefined();
    expect(pre.json().error).toMatch(/--cors-origin https:\/\/studio\.example/);
  });

  it('with --cors-origin answers that origin’s preflight without the token and labels every answer to it', async () => {
    const s = await serve({ token: TOKEN, corsOrigins: [ALLOWED, 'http://localhost:5173'] });
    const inject = (o: InjectOptions) => s.app.fastify.inject(o);
    const pre = await inject({ method: 'OPTIONS', url: '/whip', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(pre.headers['access-control-allow-methods']).split(', ')).toEqual(expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']));
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/Content-Type/);
    expect(pre.headers.vary).toMatch(/Origin/);

    const other = await inject({ method: 'OPTIONS', url: '/whip', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(other.statusCode).toBe(403);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();

    // A refusal is labelled too, so the allowed page can read why.
    const refused = await inject({ method: 'GET', url: '/api/models', headers: { origin: ALLOWED } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(ALLOWED);

    const whip = await inject({ method: 'POST', url: '/whip', headers: { origin: ALLOWED, 'content-type': 'application/sdp', ...bearer(TOKEN) }, payload: await offer('sendonly') });
    expect(whip.statusCode, whip.body).toBe(201);
    expect(whip.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(whip.headers['access-control-expose-headers'])).toMatch(/Location/);
    expect(String(whip.headers['access-control-expose-headers'])).toMatch(/Link/);
    await inject({ method: 'DELETE', url: String(whip.headers.location), headers: bearer(TOKEN) });

    const foreign = await inject({ method: 'GET', url: '/api/models', headers: { origin: 'https://evil.example', ...bearer(TOKEN) } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('opens a WebSocket from the server’s own pages and allowed origins only', async () => {
    const s = await serve({ token: TOKEN, corsOrigins: [ALLOWED] });
    const created = await s.app.fastify.inject({ method: 'POST', url: '/api/sessions', headers: bearer(TOKEN), payload: { sdp: await offer('sendrecv') } });
    const url = `${s.url.replace('http', 'ws')}${created.json().ws}?token=${TOKEN}`;
    expect((await wsOpen(url, { origin: 'https://evil.example' })).status).toBe(403);
    for (const origin of [ALLOWED, s.url]) {
      const open = await wsOpen(url, { origin });
      expect(open.status, origin).toBe(101);
      open.ws!.close();
    }
    await s.app.fastify.inject({ method: 'DELETE', url: `/api/sessions/${created.json().id}`, headers: bearer(TOKEN) });
  });
});

describe('loopback without a token', () => {
  let s: RunningServer;
  beforeAll(async () => {
    s = await serve();
  });

  it('answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    for (const host of ['evil.example', 'evil.example:8080', '127.0.0.1.evil.example', '192.168.1.20:8080']) {
      for (const url of ['/api/sessions', '/']) {
        const res = await s.app.fastify.inject({ method: 'GET', url, headers: { host } });
        expect(res.statusCode, `${host} ${url}`).toBe(403);
        expect(res.json().error).toMatch(/--token/);
      }
    }
    for (const host of ['localhost:8080', '127.0.0.1:9', '[::1]:8080', 'LOCALHOST']) {
      expect((await s.app.fastify.inject({ method: 'GET', url: '/api/sessions', headers: { host } })).statusCode, host).toBe(200);
    }
    expect((await wsOpen(`${s.url.replace('http', 'ws')}/api/sessions/nope/ws`, { host: 'evil.example' })).status).toBe(403);
  });

  it('needs no token, and a server with one accepts any Host name', async () => {
    expect((await fetch(`${s.url}/api/sessions`)).status).toBe(200);
    const withToken = await serve({ token: TOKEN });
    expect((await withToken.app.fastify.inject({ method: 'GET', url: '/api/sessions', headers: { host: 'studio.lan:8080', ...bearer(TOKEN) } })).statusCode).toBe(200);
  });
});

describe('static routes', () => {
  it('serve nothing outside the client folder, however the path is spelled', async () => {
    const s = await serve({ token: TOKEN });
    const tricks = [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E/secret.txt',
      '/..%2fsecret.txt',
      '/..%2Fsecret.txt',
      '/%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/.%2e/secret.txt',
      `/${'..%2f'.repeat(8)}etc/passwd`,
      '/vendor/ffmpeg-core/..%2f..%2f..%2f..%2f..%2fpackage.json',
      '//secret.txt',
      `/${dir}/secret.txt`,
      `/${encodeURIComponent(join(dir, 'secret.txt'))}`,
      '/%00../secret.txt',
    ];
    for (const url of tricks) {
      const res = await s.app.fastify.inject({ method: 'GET', url });
      expect(res.body, url).not.toContain('SECRET-OUTSIDE-THE-CLIENT');
      expect(res.body, url).not.toMatch(/"name":\s*"vace-live"|root:x:0:0/);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
    }
    // Over a real socket too, where the client does not normalise the path first.
    const raw = await fetch(`${s.url}/%2e%2e/secret.txt`);
    expect(await raw.text()).not.toContain('SECRET-OUTSIDE-THE-CLIENT');
  });
});
