/**
 * The HTTP side: JSON REST API, WHIP ingest and WHEP egress (RFC 9725 style: POST an SDP offer,
 * 201 + Location + SDP answer; DELETE the Location to end), a WebSocket for parameters and live
 * stats, and the built client as static files. Every bad request gets a 4xx with a sentence that
 * says what was wrong; nothing a client sends can take the server down. Who may call it (token,
 * CORS, Host) is decided in one place, ./access.ts, for every route and the WebSocket upgrade.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { WebSocketServer } from 'ws';
import { z } from 'zod';
import { BadOfferError, checkOfferSdp } from '../media/peer.ts';
import { decodeReferenceImage, type RgbImage } from '../pipeline/reference-images.ts';
import type { GeneratorRegistry } from '../stream/generators.ts';
import { describeIssues, sessionParamsPatchSchema } from '../stream/params.ts';
import type { ControlSource } from '../stream/session-pipeline.ts';
import { AccessControl, PUBLIC_ROUTE, publicRoutes, type AccessOptions } from './access.ts';
import { redactToken } from './access-token.ts';
import { InvalidSessionParamsError, SessionLimitError, SessionManager } from './session-manager.ts';

export interface AppOptions {
  readonly controls: ControlSource;
  readonly generators: GeneratorRegistry;
  readonly maxSessions?: number;
  /** Folder of the built client (default client/dist); absent = API only. */
  readonly clientDir?: string;
  /** Presets of the catalogue with their download state (src/presets/catalog.ts, src/weight-store). */
  readonly listPresets?: () => Promise<unknown[]>;
  readonly logger?: boolean;
  /** Token, allowed CORS origins, Host check (src/server/access.ts); default: open, same-origin. */
  readonly access?: AccessOptions;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_CLIENT_DIR = `${ROOT}client/dist`;
const FFMPEG_CORE_DIR = `${ROOT}node_modules/@ffmpeg/core/dist/esm`;

const sizeSchema = z.number().int().min(16).max(1920).refine((v) => v % 2 === 0, { message: 'must be even' });
const createSessionSchema = z
  .object({
    sdp: z.string(),
    width: sizeSchema.optional(),
    height: sizeSchema.optional(),
    params: z.unknown().optional(),
  })
  .strict();

export interface App {
  readonly fastify: FastifyInstance;
  readonly sessions: SessionManager;
}

export function buildApp(opts: AppOptions): App {
  const fastify = Fastify({ logger: opts.logger ? { serializers: { req: logRequest } } : false, bodyLimit: 12 * 1024 * 1024 });
  const access = new AccessControl(opts.access);
  access.install(fastify);
  const log = (m: string) => fastify.log.info(m);
  const sessions = new SessionManager({ controls: opts.controls, generators: opts.generators, maxSessions: opts.maxSessions, log });

  fastify.addContentTypeParser('application/sdp', { parseAs: 'string', bodyLimit: 100_000 }, (_req, body, done) => done(null, body));
  fastify.addContentTypeParser(/^image\//, { parseAs: 'buffer', bodyLimit: 12 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  fastify.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) fastify.log.error(err);
    void reply.code(status).send({ error: status >= 500 ? `internal error: ${err.message}` : err.message });
  });

  const fail = (reply: FastifyReply, status: number, error: string) => reply.code(status).send({ error });
  const failFromError = (reply: FastifyReply, err: unknown) => {
    if (err instanceof BadOfferError) return fail(reply, 400, err.message);
    if (err instanceof SessionLimitError) return fail(reply, 503, err.message);
    if (err instanceof InvalidSessionParamsError) return fail(reply, 400, err.message);
    if (err instanceof Error && /invalid parameters|unknown control|no model loaded/.test(err.message)) return fail(reply, 400, err.message);
    throw err;
  };
  const noSession = (reply: FastifyReply, id: string) => fail(reply, 404, `no session with id '${id}' (it may have ended)`);

  // Open without the token (monitoring, and the page learns whether to ask for one); without it,
  // it tells nothing beyond that the server is up.
  fastify.get('/api/health', PUBLIC_ROUTE, async (req) =>
    req.accessGranted
      ? { ok: true, tokenRequired: access.tokenRequired, sessions: sessions.size, uptimeS: Math.round(process.uptime()) }
      : { ok: true, tokenRequired: access.tokenRequired },
  );

  fastify.get('/api/models', async () => ({
    presets: (await opts.listPresets?.()) ?? [],
    generators: opts.generators.list().map((g) => ({ ...g, loaded: true })),
    defaultGenerator: opts.generators.defaultId ?? null,
    controls: opts.controls.list(),
    modes: [{ id: 'preview', available: true }, { id: 'generate', available: opts.generators.has() }],
  }));

  fastify.get('/api/sessions', async () => ({ sessions: sessions.list().map((s) => s.stats()) }));

  fastify.post('/api/sessions', async (req, reply) => {
    const body = req.headers['content-type']?.startsWith('application/sdp') ? { sdp: req.body } : req.body;
    const parsed = createSessionSchema.safeParse(body);
    if (!parsed.success) return fail(reply, 400, `invalid session request: ${describeIssues(parsed.error)}`);
    const params = parsed.data.params === undefined ? undefined : sessionParamsPatchSchema.safeParse(parsed.data.params);
    if (params && !params.success) return fail(reply, 400, `invalid parameters: ${describeIssues(params.error)}`);
    try {
      const sdp = checkOfferSdp(parsed.data.sdp);
      const { session, answer } = await sessions.create({ kind: 'browser', offerSdp: sdp, width: parsed.data.width, height: parsed.data.height, params: params?.data });
      return reply.code(201).send({ id: session.id, sdp: answer, params: session.params, ws: `/api/sessions/${session.id}/ws` });
    } catch (err) {
      return failFromError(reply, err);
    }
  });

  fastify.get<{ Params: { id: string } }>('/api/sessions/:id', async (req, reply) => {
    const s = sessions.get(req.params.id);
    return s ? { id: s.id, kind: s.kind, params: s.params, stats: s.stats() } : noSession(reply, req.params.id);
  });

  fastify.get<{ Params: { id: string } }>('/api/sessions/:id/stats', async (req, reply) => {
    const s = sessions.get(req.params.id);
    return s ? s.stats() : noSession(reply, req.params.id);
  });

  fastify.patch<{ Params: { id: string } }>('/api/sessions/:id/params', async (req, reply) => {
    const s = sessions.get(req.params.id);
    if (!s) return noSession(reply, req.params.id);
    const r = await s.updateParams(req.body ?? {});
    return r.ok ? { params: r.params, acceptedAtChunk: r.acceptedAtChunk } : fail(reply, 400, r.error);
  });

  fastify.post<{ Params: { id: string } }>('/api/sessions/:id/reference', async (req, reply) => {
    const s = sessions.get(req.params.id);
    if (!s) return noSession(reply, req.params.id);
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) return fail(reply, 415, 'send the reference image as the request body with an image/* content type');
    let image: RgbImage;
    try {
      // Kept at its own size: the generator resizes references the way the model expects.
      image = await decodeReferenceImage(req.body);
    } catch (err) {
      return fail(reply, 400, `the reference image could not be decoded: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (image.width * image.height > 4096 * 4096) return fail(reply, 413, `the reference image is ${image.width}×${image.height}; at most 4096×4096 pixels are accepted`);
    const referenceId = s.addReference(image);
    const r = await s.updateParams({ referenceId });
    return r.ok ? reply.code(201).send({ referenceId, width: image.width, height: image.height }) : fail(reply, 400, r.error);
  });

  fastify.delete<{ Params: { id: string } }>('/api/sessions/:id', async (req, reply) => {
    const s = sessions.get(req.params.id);
    if (!s) return noSession(reply, req.params.id);
    await s.close('ended by DELETE');
    return reply.code(204).send();
  });

  // navigator.sendBeacon from a closing page (beacons can only POST).
  fastify.post<{ Params: { id: string } }>('/api/sessions/:id/end', async (req, reply) => {
    const s = sessions.get(req.params.id);
    if (!s) return noSession(reply, req.params.id);
    await s.close('the page was closed');
    return reply.code(204).send();
  });

  // WHIP ingest (OBS 30+): the body is the SDP offer, the answer comes back with a Location.
  fastify.post('/whip', async (req, reply) => {
    if (!req.headers['content-type']?.startsWith('application/sdp')) return fail(reply, 415, 'WHIP expects the SDP offer with Content-Type: application/sdp');
    try {
      const sdp = checkOfferSdp(req.body);
      const q = req.query as Record<string, string | undefined>;
      const width = q.width ? Number(q.width) : undefined;
      const height = q.height ? Number(q.height) : undefined;
      for (const [k, v] of [['width', width], ['height', height]] as const) {
        if (v !== undefined && !sizeSchema.safeParse(v).success) return fail(reply, 400, `query ${k}=${q[k]} must be an even integer from 16 to 1920`);
      }
      const { session, answer } = await sessions.create({ kind: 'whip', offerSdp: sdp, width, height, params: q.control ? { control: q.control } : undefined });
      return reply
        .code(201)
        .header('Content-Type', 'application/sdp')
        .header('Location', `/whip/${session.id}`)
        .header('Link', `</whep/${session.id}>; rel="whep"`)
        .send(answer);
    } catch (err) {
      return failFromError(reply, err);
    }
  });

  fastify.delete<{ Params: { id: string } }>('/whip/:id', async (req, reply) => {
    const s = sessions.get(req.params.id);
    if (!s || s.kind !== 'whip') return noSession(reply, req.params.id);
    await s.close('WHIP publisher ended the session');
    return reply.code(200).send();
  });

  fastify.patch('/whip/:id', async (_req, reply) => fail(reply, 405, 'trickle ICE is not supported; send all candidates in the offer'));

  // WHEP egress: play a session's output.
  fastify.post<{ Params: { id: string } }>('/whep/:id', async (req, reply) => {
    if (!req.headers['content-type']?.startsWith('application/sdp')) return fail(reply, 415, 'WHEP expects the SDP offer with Content-Type: application/sdp');
    const s = sessions.get(req.params.id);
    if (!s) return noSession(reply, req.params.id);
    try {
      const { viewerId, sdp } = await s.addViewer(checkOfferSdp(req.body));
      return reply.code(201).header('Content-Type', 'application/sdp').header('Location', `/whep/${s.id}/${viewerId}`).send(sdp);
    } catch (err) {
      return failFromError(reply, err);
    }
  });

  fastify.delete<{ Params: { id: string; viewer: string } }>('/whep/:id/:viewer', async (req, reply) => {
    const s = sessions.get(req.params.id);
    if (!s) return noSession(reply, req.params.id);
    if (!(await s.removeViewer(req.params.viewer))) return fail(reply, 404, `no WHEP player '${req.params.viewer}' on session '${s.id}'`);
    return reply.code(200).send();
  });

  fastify.patch('/whep/:id/:viewer', async (_req, reply) => fail(reply, 405, 'trickle ICE is not supported; send all candidates in the offer'));

  // The page and its assets load without the token: the page itself asks for it.
  const clientDir = opts.clientDir ?? DEFAULT_CLIENT_DIR;
  publicRoutes(fastify, async (pub) => {
    // ffmpeg.wasm core for the client's MP4 export, served from our own server (no CDN).
    if (existsSync(FFMPEG_CORE_DIR)) {
      await pub.register(fastifyStatic, { root: FFMPEG_CORE_DIR, prefix: '/vendor/ffmpeg-core/', decorateReply: false });
    }
    if (existsSync(clientDir)) {
      await pub.register(fastifyStatic, { root: clientDir, prefix: '/' });
    } else {
      pub.get('/', async (_req, reply) =>
        reply.type('text/plain').send(`The browser client is not built yet: run "npm run build:client" (looked in ${clientDir}). The API is at /api.`),
      );
    }
  });

  attachWebSocket(fastify, sessions, access);
  fastify.addHook('onClose', async () => {
    await sessions.closeAll();
  });
  return { fastify, sessions };
}

/** ws://host/api/sessions/:id/ws — the same messages as the data channel, plus stats pushed twice a second. */
function attachWebSocket(fastify: FastifyInstance, sessions: SessionManager, access: AccessControl): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 256 * 1024 });
  fastify.server.on('upgrade', (req, socket, head) => {
    if (access.refuseUpgrade(req, socket)) return;
    const m = /^\/api\/sessions\/([^/?]+)\/ws(?:\?.*)?$/.exec(req.url ?? '');
    const session = m ? sessions.get(safeDecode(m[1]!)) : undefined;
    if (!session) {
      socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nno such session\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const send = (msg: object) => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
      };
      const off = session.subscribe(send);
      const timer = setInterval(() => send({ type: 'stats', stats: session.stats() }), 500);
      ws.on('message', (data) => {
        void session.handleMessage(data.toString()).then(send);
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        clearInterval(timer);
        off();
      });
      session.onClosed(() => ws.close(1000, 'session ended'));
      send({ type: 'hello', session: session.id, params: session.params });
    });
  });
  fastify.addHook('onClose', async () => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
}

/** decodeURIComponent that answers a malformed escape ('%zz') with the raw text instead of throwing. */
function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** What the request log records of a request: never a `?token=` value. */
function logRequest(req: FastifyRequest) {
  return { method: req.method, url: redactToken(req.url), host: req.host, remoteAddress: req.ip, remotePort: req.socket?.remotePort };
}
