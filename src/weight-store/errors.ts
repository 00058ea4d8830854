/** Download failures as one error type whose `code` a CLI or REST handler can switch on. */

export type DownloadErrorCode =
  | 'offline' // hub unreachable: connection refused, DNS failure, network down
  | 'not-found' // 404: wrong repo, revision or file name
  | 'http' // any other non-success status
  | 'interrupted' // connection lost mid-body; the .part file is kept for resume
  | 'disk-full' // not enough free space, or ENOSPC while writing
  | 'checksum-mismatch' // sha256 differs from the expected one; the file was removed
  | 'size-mismatch' // byte count differs from the expected size; the file was removed
  | 'aborted' // the caller's AbortSignal fired; the .part file is kept for resume
  | 'io'; // another local file-system error

export class ModelDownloadError extends Error {
  readonly code: DownloadErrorCode;
  /** The file's path under the models directory (or its URL when no path applies). */
  readonly file: string;
  /** Whether running the same download again continues from the kept .part file. */
  readonly resumable: boolean;

  constructor(code: DownloadErrorCode, file: string, message: string, opts: { resumable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ModelDownloadError';
    this.code = code;
    this.file = file;
    this.resumable = opts.resumable ?? false;
  }
}

const OFFLINE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** The system error code hidden in a fetch failure (undici wraps it in `cause`, sometimes twice). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e && typeof e === 'object'; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // AggregateError (happy-eyeballs tries several addresses): look at the first inner error.
    const inner = (e as { errors?: unknown[] }).errors;
    e = Array.isArray(inner) && inner.length > 0 ? inner[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isOfflineError(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && OFFLINE_CODES.has(code);
}

export function isDiskFullError(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${Math.round(v)} ${units[u]}` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}
