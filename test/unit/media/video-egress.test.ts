import { describe, expect, it } from 'vitest';
import { RTCRtpSender, RtcpPayloadSpecificFeedback } from 'werift';
import { VideoEgress } from '../../../src/media/video-egress.ts';
import { drawPatternFrame } from '../../../src/media/test-pattern.ts';

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function sendFrames(egress: VideoEgress, n: number): Promise<void> {
  const target = egress.sentFrames + n;
  for (let i = 0; i < n; i++) {
    egress.send(drawPatternFrame(64, 48, i));
    await new Promise((r) => setTimeout(r, 40));
  }
  await waitUntil(() => egress.sentFrames >= target - 1, 10_000, `${n} encoded frames`);
}

describe('VideoEgress', () => {
  it('answers a viewer PLI and a FIR with a fresh keyframe', async () => {
    const egress = new VideoEgress();
    const sender = new RTCRtpSender('video');
    egress.addSender(sender);
    expect(egress.viewers).toBe(1);
    await sendFrames(egress, 3);
    expect(egress.keyframes).toBe(1);

    await new Promise((r) => setTimeout(r, 320)); // keyframe requests are rate-limited
    sender.onPictureLossIndication.execute();
    await sendFrames(egress, 3);
    expect(egress.keyframes).toBe(2);

    await new Promise((r) => setTimeout(r, 320));
    // A Full Intra Request (payload-specific feedback FMT 4), which werift's sender does not report as PLI.
    sender.onRtcp.execute(new RtcpPayloadSpecificFeedback({ feedback: { count: 4 } as never }));
    await sendFrames(egress, 3);
    expect(egress.keyframes).toBe(3);

    egress.removeSender(sender);
    expect(egress.viewers).toBe(0);
    await egress.close();
  });
});
