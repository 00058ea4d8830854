import { describe, expect, it } from 'vitest';
import { SessionMeter } from '../../../src/stream/session-meter.ts';

describe('SessionMeter', () => {
  it('reads nulls and zeros before anything happened', () => {
    expect(new SessionMeter().read(0)).toEqual({ chunks: 0, inputFps: 0, outputFps: 0, chunkMs: null, latencyMs: null, outputFrames: 0, downstreamDrops: 0 });
  });

  it('smooths chunk time (0.3) and latency (0.2), counts chunks and frames, rounds to 0.1', () => {
    const m = new SessionMeter();
    expect(m.chunkDone(100)).toBe(0);
    expect(m.chunkDone(200)).toBe(1);
    m.frameOut(1000, 900);
    m.frameOut(1100, 950);
    m.downstreamDrop(2);
    m.downstreamDrop(1);
    const r = m.read(1100);
    expect(r.chunks).toBe(2);
    expect(r.chunkMs).toBe(130); // 100 + 0.3 · (200 − 100)
    expect(r.latencyMs).toBe(110); // 100 + 0.2 · (150 − 100)
    expect(r.outputFrames).toBe(2);
    expect(r.downstreamDrops).toBe(3);
    expect(r.outputFps).toBe(10); // 1 gap of 100 ms
  });

  it('measures the input rate over its window', () => {
    const m = new SessionMeter();
    for (let t = 0; t <= 1000; t += 40) m.frameIn(t);
    expect(m.read(1000).inputFps).toBe(25);
  });
});
