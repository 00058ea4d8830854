/**
 * A tiny stand-in for the model hub on 127.0.0.1 (ephemeral port): serves in-memory files at
 * `/<repo>/resolve/<revision>/<path>` with Range support, and can cut connections, ignore Range,
 * redirect to a "CDN" path or trickle bytes slowly, so download failure paths are reproducible.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  data: Buffer;
  /** Cut the connection after this many body bytes, for the first `cutTimes` (default 1) requests. */
  cutAfter?: number;
  cutTimes?: number;
  /** Answer Range requests with the whole file (200), like a server without range support. */
  ignoreRange?: boolean;
  /** Answer with a 302 to /cdn/... first (as huggingface.co does for LFS files). */
  redirect?: boolean;
  /** Delay between 16 KiB body chunks. */
  chunkDelayMs?: number;
}

export interface HubRequest {
  path: string;
  range: string | undefined;
  status: number;
}

export interface HubServer {
  url: string;
  requests: HubRequest[];
  /** Requests that returned body bytes for `path` (ignores redirects). */
  bodyRequests(path: string): HubRequest[];
  close(): Promise<void>;
}

export function resolvePath(repo: string, revision: string, file: string): string {
  return `/${repo}/resolve/${revision}/${file}`;
}

const CHUNK = 16 * 1024;

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

async function sendBody(res: ServerResponse, body: Buffer, cutAt: number | null, delayMs: number): Promise<void> {
  let off = 0;
  const limit = cutAt ?? body.length;
  while (off < limit) {
    const end = Math.min(off + CHUNK, limit);
    const ok = res.write(body.subarray(off, end));
    off = end;
    if (!ok) await new Promise((r) => res.once('drain', r));
    if (delayMs > 0) await sleep(delayMs);
  }
  if (cutAt !== null) {
    // Let the bytes leave and give the client time to take them off the socket, then drop the
    // connection mid-body. (A fetch body stream that errors discards chunks still queued in it,
    // so cutting at once could leave the client with nothing to resume from.)
    await new Promise<void>((r) => res.write('', () => r()));
    await sleep(100);
    res.socket?.destroy();
    return;
  }
  res.end();
}

export async function startHubServer(files: Record<string, ServedFile>): Promise<HubServer> {
  const requests: HubRequest[] = [];
  const cutsDone = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    let path = decodeURIComponent(url.pathname);
    const range = req.headers.range;
    const fromCdn = path.startsWith('/cdn/');
    if (fromCdn) path = path.slice(4);
    const file = files[path];
    if (!file) {
      requests.push({ path, range, status: 404 });
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    if (file.redirect && !fromCdn) {
      requests.push({ path, range, status: 302 });
      res.writeHead(302, { location: `/cdn${url.pathname}` }).end();
      return;
    }
    const total = file.data.length;
    let start = 0;
    let status = 200;
    const m = range && !file.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m) {
      start = Number(m[1]);
      if (start >= total) {
        requests.push({ path, range, status: 416 });
        res.writeHead(416, { 'content-range': `bytes */${total}` }).end();
        return;
      }
      status = 206;
    }
    requests.push({ path, range, status });
    const body = file.data.subarray(start);
    const headers: Record<string, string | number> = { 'content-length': body.length, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${total - 1}/${total}`;
    res.writeHead(status, headers);
    const done = cutsDone.get(path) ?? 0;
    const cut = file.cutAfter !== undefined && done < (file.cutTimes ?? 1) ? Math.min(file.cutAfter, body.length - 1) : null;
    if (cut !== null) cutsDone.set(path, done + 1);
    await sendBody(res, body, cut, file.chunkDelayMs ?? 0);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    bodyRequests: (p) => requests.filter((r) => r.path === p && (r.status === 200 || r.status === 206)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
