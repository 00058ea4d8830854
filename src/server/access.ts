/**
 * Who may use the server: the one place every HTTP request (API, WHIP, WHEP, static files) and
 * every WebSocket upgrade is checked. Routes do not check anything themselves; a route that needs
 * no token says so with PUBLIC_ROUTE (or is registered inside `publicRoutes`), all others need it.
 *
 * The checks, in order:
 *  1. Host (only when listening on loopback without a token): the request must address the server
 *     as localhost / 127.x / [::1]. A web page cannot then reach it through DNS rebinding
 *     (evil.example resolving to 127.0.0.1 makes the browser send Host: evil.example).
 *  2. CORS: allowed origins get their headers on every answer and their preflights answered here;
 *     others get no CORS header at all. A WebSocket (which browsers do not hold to CORS) from a
 *     page must come from this server's own origin or an allowed one.
 *  3. Token (when one is set): `Authorization: Bearer <token>` or `?token=`, else 401 with
 *     `WWW-Authenticate: Bearer` (RFC 6750; what RFC 9725 asks of WHIP and WHEP).
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessToken, presentedToken } from './access-token.ts';
import { CorsPolicy } from './cors.ts';
import { isLoopbackHost } from './exposure.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'public': served without a token (the client's static files, /api/health). */
    access?: 'public';
  }
  interface FastifyRequest {
    /** Whether the request passed the token check (always true when no token is set). */
    accessGranted: boolean;
  }
}

export const PUBLIC_ROUTE = { config: { access: 'public' as const } };

export interface AccessOptions {
  /** Every request must present this token; undefined: none needed. */
  readonly token?: string;
  /** Origins allowed to call the server from their pages (already parsed, see parseCorsOrigins). */
  readonly corsOrigins?: readonly string[];
  /** Refuse requests that do not address the server by a loopback name (see check 1 above). */
  readonly loopbackHostsOnly?: boolean;
}

export interface Refusal {
  readonly status: 401 | 403;
  readonly error: string;
  readonly headers: Readonly<Record<string, string>>;
}

interface RequestLike {
  readonly headers: IncomingHttpHeaders;
  readonly url?: string;
}

const REALM = 'Bearer realm="vace-live"';

export class AccessControl {
  readonly cors: CorsPolicy;
  readonly #token?: AccessToken;
  readonly #loopbackHostsOnly: boolean;

  constructor(opts: AccessOptions = {}) {
    this.#token = opts.token === undefined ? undefined : new AccessToken(opts.token);
    this.cors = new CorsPolicy(opts.corsOrigins);
    this.#loopbackHostsOnly = opts.loopbackHostsOnly ?? false;
  }

  get tokenRequired(): boolean {
    return this.#token !== undefined;
  }

  /** Check 1: undefined when the Host header is acceptable. */
  hostRefusal(req: RequestLike): Refusal | undefined {
    const host = req.headers.host;
    if (!this.#loopbackHostsOnly || host === undefined || isLoopbackHost(hostName(host))) return undefined;
    return {
      status: 403,
      error: `this server listens on loopback without a token and answers only requests to localhost, 127.0.0.1 or [::1], not '${host}'; to reach it under another name, start it with --token`,
      headers: {},
    };
  }

  /** Check 3: undefined when the request may go on. */
  tokenRefusal(req: RequestLike): Refusal | undefined {
    if (!this.#token) return undefined;
    const presented = presentedToken(req.headers, req.url);
    if (presented === undefined) {
      return { status: 401, error: 'this server needs its access token: send Authorization: Bearer <token>, or add ?token=<token> to the URL', headers: { 'www-authenticate': REALM } };
    }
    if (!this.#token.matches(presented)) {
      return { status: 401, error: 'the access token is wrong', headers: { 'www-authenticate': `${REALM}, error="invalid_token"` } };
    }
    return undefined;
  }

  /** Hooks every route of `fastify` (call before registering routes). */
  install(fastify: FastifyInstance): void {
    fastify.decorateRequest('accessGranted', false);
    fastify.addHook('onRequest', async (req, reply) => {
      const refused = (r: Refusal) => reply.code(r.status).headers(r.headers).send({ error: r.error });
      const host = this.hostRefusal(req);
      if (host) return refused(host);
      const origin = req.headers.origin;
      reply.headers(this.cors.headersFor(origin));
      if (isPreflight(req)) {
        if (!this.cors.allows(origin)) {
          return refused({ status: 403, error: `cross-origin requests from ${origin} are not allowed; start the server with --cors-origin ${origin} to allow them`, headers: {} });
        }
        // Preflights never carry credentials: they are answered without the token.
        return reply.code(204).headers(this.cors.preflightHeaders(origin)).send();
      }
      const token = this.tokenRefusal(req);
      req.accessGranted = token === undefined;
      if (token && req.routeOptions.config?.access !== 'public') return refused(token);
      return undefined;
    });
  }

  /**
   * For a WebSocket upgrade (which passes no Fastify hook): undefined when it may go on, else the
   * refusal, already written to the socket.
   */
  refuseUpgrade(req: IncomingMessage, socket: Duplex): Refusal | undefined {
    const refusal = this.hostRefusal(req) ?? this.#originRefusal(req) ?? this.tokenRefusal(req);
    if (refusal) writeRefusal(socket, refusal);
    return refusal;
  }

  #originRefusal(req: IncomingMessage): Refusal | undefined {
    const origin = req.headers.origin;
    if (origin === undefined || this.cors.allows(origin) || sameOrigin(origin, req.headers.host)) return undefined;
    return { status: 403, error: `WebSocket connections from pages of ${origin} are not allowed; start the server with --cors-origin ${origin} to allow them`, headers: {} };
  }
}

/**
 * Registers `routes` in a context whose every route is public: for plugins such as
 * @fastify/static that register routes of their own.
 */
export function publicRoutes(fastify: FastifyInstance, routes: (f: FastifyInstance) => Promise<void>): void {
  void fastify.register(async (f) => {
    f.addHook('onRoute', (route) => {
      route.config = { ...route.config, access: 'public' };
    });
    await routes(f);
  });
}

/** A refusal as an HTTP/1.1 answer on a raw socket (the WebSocket upgrade path). */
export function writeRefusal(socket: Duplex, r: Refusal): void {
  const reason = r.status === 401 ? 'Unauthorized' : 'Forbidden';
  const body = JSON.stringify({ error: r.error });
  const headers = Object.entries({ ...r.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${r.status} ${reason}\r\n${headers}\r\n${body}`);
}

function isPreflight(req: FastifyRequest): req is FastifyRequest & { headers: { origin: string } } {
  return req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;
}

/** The name part of a Host header: 'localhost:8080' → 'localhost', '[::1]:8080' → '::1'. */
function hostName(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') > 0 ? host.indexOf(']') : undefined);
  const colon = host.lastIndexOf(':');
  return colon >= 0 ? host.slice(0, colon) : host;
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const o = new URL(origin);
    // Parsed with the origin's scheme, so a default port written out (Host: x:443) still matches.
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
