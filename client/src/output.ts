/**
 * Output-only page for an OBS browser source or a second screen: /output.html?session=<id>, plus
 * &token=<token> when the server has one (an OBS browser source cannot type it in).
 */
import { adoptTokenFromUrl } from './access-token.ts';
import { ServerError, TokenNeededError, playWhep } from './signalling.ts';

const video = document.getElementById('out') as HTMLVideoElement;
const msg = document.getElementById('msg') as HTMLDivElement;
const session = new URLSearchParams(location.search).get('session');
adoptTokenFromUrl();

async function play(): Promise<void> {
  if (!session) {
    msg.textContent = 'No session given: open this page as /output.html?session=<session id>.';
    return;
  }
  try {
    const { pc } = await playWhep(session, (stream) => {
      video.srcObject = stream;
      msg.textContent = '';
    });
    (window as unknown as { vaceOutput: RTCPeerConnection }).vaceOutput = pc;
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') {
        msg.textContent = 'The output stream ended; retrying…';
        setTimeout(() => void play(), 2000);
      }
    };
  } catch (err) {
    if (err instanceof TokenNeededError) {
      // Retrying with the same token cannot help.
      msg.textContent = `${err.message}. Open this page as /output.html?session=<id>&token=<token>.`;
      return;
    }
    msg.textContent = err instanceof ServerError ? err.message : `Cannot play the output: ${String(err)}`;
    setTimeout(() => void play(), 3000);
  }
}

void play();
