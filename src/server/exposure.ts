/**
 * Whether the server may listen where it was told to. Loopback needs nothing; any other address
 * reaches other machines, so it needs an access token, or the operator saying in so many words
 * that it should run open (`--insecure-no-token`).
 */
import { isIP } from 'node:net';

export class ExposureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExposureError';
  }
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped, with or without brackets) and the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) !== 6) return false;
  // The URL parser writes an IPv6 address in its one canonical, compressed form.
  const canonical = new URL(`http://[${h}]`).hostname.slice(1, -1);
  if (canonical === '::1') return true;
  const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(canonical);
  return mapped !== null && parseInt(mapped[1]!, 16) >> 8 === 127;
}

export interface ExposureOptions {
  /** Listen address; undefined is the loopback default. */
  readonly host?: string;
  readonly token?: string;
  readonly insecureNoToken?: boolean;
}

/** Throws a one-line ExposureError when the listen address would be open to the network. */
export function checkExposure(o: ExposureOptions): void {
  if (o.token !== undefined && o.insecureNoToken) {
    throw new ExposureError('--insecure-no-token and --token (or VACE_TOKEN) contradict each other; pass one of them');
  }
  if (o.host === undefined || isLoopbackHost(o.host) || o.token !== undefined || o.insecureNoToken) return;
  throw new ExposureError(
    `refusing to listen on ${o.host} without an access token: pass --token TOKEN (or set VACE_TOKEN), or --insecure-no-token to let anyone on the network use it`,
  );
}
