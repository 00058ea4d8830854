/** An SDP offer from a real (werift) peer, as a browser or OBS would send it, with loopback candidates only. */
import { RTCPeerConnection } from 'werift';

export async function makeOffer(direction: 'sendrecv' | 'sendonly' | 'recvonly' = 'sendrecv'): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = new RTCPeerConnection({ iceServers: [], iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] });
  pc.addTransceiver('video', { direction });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
  }
  return { pc, sdp: pc.localDescription!.sdp };
}
