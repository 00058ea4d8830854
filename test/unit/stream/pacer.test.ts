import { describe, expect, it } from 'vitest';
import { IntervalMeter, Pacer, RateCounter } from '../../../src/stream/pacer.ts';
import type { TimedFrame } from '../../../src/stream/types.ts';

function frames(n: number, from = 0): TimedFrame[] {
  return Array.from({ length: n }, (_, i) => ({ frame: { width: 1, height: 1, count: 1, data: new Uint8Array(3) }, capturedAt: 0, seq: from + i }));
}

describe('Pacer', () => {
  it('emits the first chunk at once (no rate measured yet)', () => {
    const p = new Pacer();
    p.enqueue(frames(4), 0);
    expect(p.takeDue(0).map((f) => f.seq)).toEqual([0, 1, 2, 3]);
  });

  it('spreads later chunks over the measured generation interval', () => {
    const p = new Pacer();
    p.enqueue(frames(4), 0);
    p.takeDue(0);
    p.enqueue(frames(4, 4), 400); // chunks arrive every 400 ms → one frame every 100 ms
    expect(p.takeDue(400).map((f) => f.seq)).toEqual([4]);
    expect(p.nextDueAt()).toBe(500);
    expect(p.takeDue(550).map((f) => f.seq)).toEqual([5]);
    expect(p.takeDue(800).map((f) => f.seq)).toEqual([6, 7]);
    expect(p.chunkIntervalMs).toBe(400);
  });

  it('drops what is left of a chunk when the next one arrives, so lag cannot build up', () => {
    const p = new Pacer();
    p.enqueue(frames(4), 0);
    p.takeDue(0);
    p.enqueue(frames(4, 4), 400);
    p.takeDue(400);
    p.enqueue(frames(4, 8), 450);
    expect(p.dropped).toBe(3);
    expect(p.takeDue(450)[0].seq).toBe(8);
  });
});

describe('IntervalMeter', () => {
  it('averages gaps between marks', () => {
    const m = new IntervalMeter(0.5);
    expect(m.averageMs).toBeUndefined();
    m.mark(0);
    m.mark(100);
    m.mark(300);
    expect(m.averageMs).toBe(150);
  });
});

describe('RateCounter', () => {
  it('counts events per second over its window', () => {
    const r = new RateCounter(1000);
    for (let t = 0; t <= 1000; t += 40) r.mark(t);
    expect(r.perSecond(1000)).toBeCloseTo(25, 0);
    expect(r.perSecond(5000)).toBe(0);
  });
});
