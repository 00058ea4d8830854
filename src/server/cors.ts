/**
 * Cross-origin access. By default the server is same-origin only: it sends no
 * Access-Control-Allow-Origin at all, so a page from another origin cannot read its answers.
 * `--cors-origin` names the origins (scheme://host[:port]) that may; those get the CORS headers on
 * every answer and their preflights are answered here.
 */

export class InvalidCorsOriginError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCorsOriginError';
  }
}

export const CORS_METHODS = 'GET, HEAD, POST, PATCH, DELETE, OPTIONS';
export const CORS_REQUEST_HEADERS = 'Authorization, Content-Type';
// WHIP/WHEP clients read Location (the resource to DELETE) and Link (the WHEP URL of a WHIP session).
export const CORS_EXPOSED_HEADERS = 'Location, Link';

/**
 * Origins from `--cors-origin` values (each may be a comma list), normalised the way browsers
 * write the Origin header. Throws a one-line reason for anything that is not an origin.
 */
export function parseCorsOrigins(values: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of values.flatMap((v) => v.split(','))) {
    const value = raw.trim();
    if (value === '') continue;
    if (value === '*') throw new InvalidCorsOriginError(`--cors-origin takes explicit origins such as https://studio.example.com, not '*'`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidCorsOriginError(`--cors-origin '${value}' is not an origin; write it as scheme://host[:port], e.g. https://studio.example.com`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidCorsOriginError(`--cors-origin '${value}' must be http:// or https://`);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
      throw new InvalidCorsOriginError(`--cors-origin '${value}' must be just scheme://host[:port], without a path, query or credentials`);
    }
    out.add(url.origin);
  }
  return [...out];
}

export class CorsPolicy {
  readonly #origins: ReadonlySet<string>;

  constructor(origins: readonly string[] = []) {
    this.#origins = new Set(origins);
  }

  allows(origin: string | undefined): origin is string {
    return origin !== undefined && this.#origins.has(origin);
  }

  /** Headers for an answer to `origin`: none unless it is allowed. */
  headersFor(origin: string | undefined): Record<string, string> {
    if (!this.allows(origin)) return {};
    return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': CORS_EXPOSED_HEADERS };
  }

  /** Headers for a preflight's answer from an allowed origin. */
  preflightHeaders(origin: string): Record<string, string> {
    return {
      ...this.headersFor(origin),
      'access-control-allow-methods': CORS_METHODS,
      'access-control-allow-headers': CORS_REQUEST_HEADERS,
      'access-control-max-age': '600',
    };
  }
}
