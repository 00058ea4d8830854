/**
 * The server's access token on the page. A `?token=` in the page URL is taken (then removed from
 * the address bar, so it is not left in a screenshot or a shared link), or the user types it once;
 * it is kept in sessionStorage for this tab and sent with every API, WHEP and WebSocket call.
 */

const KEY = 'vace-live.token';

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null; // storage disabled: the token then lives only as long as the page
  }
}

let memory: string | null = null;

export function currentToken(): string | null {
  return storage()?.getItem(KEY) ?? memory;
}

export function setToken(token: string): void {
  memory = token;
  storage()?.setItem(KEY, token);
}

export function forgetToken(): void {
  memory = null;
  storage()?.removeItem(KEY);
}

/** Takes a `?token=` from the page URL and removes it from the address bar. */
export function adoptTokenFromUrl(): void {
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token === null) return;
  if (token !== '') setToken(token);
  url.searchParams.delete('token');
  window.history.replaceState(window.history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

/** `init.headers` plus the Authorization header when there is a token. */
export function withAuthorization(init: RequestInit = {}): RequestInit {
  const token = currentToken();
  if (!token) return init;
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return { ...init, headers };
}

/**
 * `path` with `?token=` added, for what cannot send headers: WebSocket, navigator.sendBeacon, a
 * link to paste into an OBS browser source.
 */
export function withTokenParam(path: string): string {
  const token = currentToken();
  if (!token) return path;
  const url = new URL(path, window.location.href);
  url.searchParams.set('token', token);
  return url.origin === window.location.origin ? `${url.pathname}${url.search}${url.hash}` : url.href;
}
