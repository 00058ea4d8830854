import { describe, expect, it } from 'vitest';
import { PacingStage } from '../../../src/stream/pacing-stage.ts';
import { rgb, timedFrames } from '../../support/stream-stages.ts';

const chunk = (n: number, value = 0) => ({ frames: rgb(1, 1, value, n), batch: timedFrames(n, 1, 1), mode: 'preview' as const, started: 0 });

describe('PacingStage', () => {
  it('splits a chunk into frames carrying their camera timing; the first chunk goes out at once', () => {
    const p = new PacingStage();
    const out = p.processInput({ now: 0, chunk: chunk(3) });
    expect(out.map((f) => [f.seq, f.capturedAt, f.frame.count])).toEqual([
      [0, 1000, 1],
      [1, 1001, 1],
      [2, 1002, 1],
    ]);
    expect(p.nextDueAt).toBeUndefined();
  });

  it('spreads later chunks over the measured interval and answers the time alone with what is due', () => {
    const p = new PacingStage();
    p.processInput({ now: 0, chunk: chunk(2) });
    expect(p.processInput({ now: 300, chunk: chunk(3) }).map((f) => f.seq)).toEqual([0]);
    expect(p.nextDueAt).toBe(400);
    expect(p.processInput({ now: 399 })).toEqual([]);
    expect(p.processInput({ now: 400 }).map((f) => f.seq)).toEqual([1]);
    // The next chunk arrives before frame 2 was due: it is dropped, not shown late.
    p.processInput({ now: 450, chunk: chunk(1) });
    expect(p.dropped).toBe(1);
    expect(p.chunkIntervalMs).toBeCloseTo(300 + 0.3 * (150 - 300));
  });
});
