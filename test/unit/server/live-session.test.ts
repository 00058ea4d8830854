/** inputStopped: when the camera watchdog ends a session (the rest of LiveSession needs WebRTC: see test/e2e). */
import { describe, expect, it } from 'vitest';
import { inputStopped } from '../../../src/server/live-session.ts';

describe('inputStopped', () => {
  const timeoutMs = 4000;
  it('never before the first packet', () => {
    expect(inputStopped({ now: 1e6, lastTick: 1e6 - 500, lastPacketAt: undefined, timeoutMs })).toBe(false);
  });
  it('after timeoutMs without a packet, on an on-time tick', () => {
    expect(inputStopped({ now: 10_000, lastTick: 9_500, lastPacketAt: 5_999, timeoutMs })).toBe(true);
    expect(inputStopped({ now: 10_000, lastTick: 9_500, lastPacketAt: 6_001, timeoutMs })).toBe(false);
  });
  it('not on a late tick: the event loop was blocked and packets may be queued behind the timer', () => {
    expect(inputStopped({ now: 20_000, lastTick: 10_000, lastPacketAt: 5_000, timeoutMs })).toBe(false);
    // The next on-time tick decides.
    expect(inputStopped({ now: 20_500, lastTick: 20_000, lastPacketAt: 5_000, timeoutMs })).toBe(true);
  });
});
