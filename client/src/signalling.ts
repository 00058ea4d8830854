/** Talking to the server: creating sessions, WHEP playback, readable error messages. */
import { withAuthorization } from './access-token.ts';

export class ServerError extends Error {}

/** The server wants its access token (none was sent, or the one sent is wrong). */
export class TokenNeededError extends ServerError {}

/** Turns a failed fetch or an error body into one sentence a user can act on. */
export async function readError(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: string };
    if (body.error) return body.error;
  } catch {
    /* not JSON */
  }
  return `the server answered ${res.status} ${res.statusText}`;
}

/** fetch with the access token, turning failures into a ServerError with a readable sentence. */
export async function request(url: string, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, withAuthorization(init));
  } catch {
    throw new ServerError('The server cannot be reached. Is it still running?');
  }
  if (res.status === 401) throw new TokenNeededError(await readError(res));
  if (!res.ok) throw new ServerError(await readError(res));
  return res;
}

/** Waits until ICE gathering is complete (bounded), so the offer carries all candidates. */
export async function gatherCandidates(pc: RTCPeerConnection, timeoutMs = 3000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export interface CreatedSession {
  readonly id: string;
  readonly sdp: string;
}

export async function createSession(pc: RTCPeerConnection, body: { width: number; height: number; params?: object }): Promise<CreatedSession> {
  await pc.setLocalDescription(await pc.createOffer());
  await gatherCandidates(pc);
  const res = await request('/api/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sdp: pc.localDescription!.sdp, ...body }),
  });
  const session = (await res.json()) as CreatedSession;
  await pc.setRemoteDescription({ type: 'answer', sdp: session.sdp });
  return session;
}

/** Plays a session's output over WHEP. Returns the peer and the resource URL to DELETE. */
export async function playWhep(sessionId: string, onTrack: (stream: MediaStream) => void): Promise<{ pc: RTCPeerConnection; resource: string }> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.ontrack = (e) => onTrack(e.streams[0] ?? new MediaStream([e.track]));
  await pc.setLocalDescription(await pc.createOffer());
  await gatherCandidates(pc);
  const res = await request(`/whep/${encodeURIComponent(sessionId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: pc.localDescription!.sdp,
  });
  const resource = res.headers.get('location') ?? '';
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  return { pc, resource };
}
