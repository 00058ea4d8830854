/**
 * The server's access token: what a valid one looks like, where a request carries it
 * (`Authorization: Bearer <token>`, else `?token=` for browser sources that cannot set headers),
 * and the comparison, in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 16;

// URL-unreserved characters only, so the token survives a query string unencoded: in a
// query '+' reads as a space and '/' or '=' invite encoding mistakes in OBS URL fields.
const TOKEN_CHARS = /^[A-Za-z0-9._~-]+$/;

export const TOKEN_HINT = `make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`;

export class InvalidTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Throws a one-line reason when `token` is too weak or would not survive a URL. */
export function checkTokenFormat(token: string, source = '--token'): void {
  if (token.length < MIN_TOKEN_LENGTH) throw new InvalidTokenError(`${source} must be at least ${MIN_TOKEN_LENGTH} characters (got ${token.length}); ${TOKEN_HINT}`);
  if (!TOKEN_CHARS.test(token)) throw new InvalidTokenError(`${source} may only use letters, digits and . _ ~ - (so it works unencoded in a URL); ${TOKEN_HINT}`);
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Holds the expected token as a digest; `matches` compares equal-length digests in constant time. */
export class AccessToken {
  readonly #digest: Buffer;

  constructor(token: string) {
    checkTokenFormat(token);
    this.#digest = digest(token);
  }

  matches(candidate: string): boolean {
    return timingSafeEqual(this.#digest, digest(candidate));
  }
}

/**
 * The token a request presents: the Bearer credential of its Authorization header, else its
 * `token` query parameter; undefined when it presents none.
 */
export function presentedToken(headers: { authorization?: string | string[] }, url: string | undefined): string | undefined {
  const auth = Array.isArray(headers.authorization) ? headers.authorization[0] : headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    // A malformed Authorization header is a wrong token, not a missing one.
    return m ? m[1] : auth;
  }
  return queryToken(url);
}

function queryToken(url: string | undefined): string | undefined {
  const q = url?.indexOf('?') ?? -1;
  if (!url || q < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get('token') ?? undefined;
}

/** The URL with any `token` query value replaced, for logs. */
export function redactToken(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
