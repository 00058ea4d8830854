import { describe, expect, it } from 'vitest';
import { BoundedQueue, evenSampleIndices } from '../../../src/stream/frame-queue.ts';

describe('evenSampleIndices', () => {
  it('keeps everything when there is no excess', () => {
    expect(evenSampleIndices(5, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(evenSampleIndices(3, 7)).toEqual([0, 1, 2]);
  });

  it('spreads the picks over the whole span and always includes the newest', () => {
    const picks = evenSampleIndices(24, 12);
    expect(picks).toHaveLength(12);
    expect(picks[0]).toBe(0);
    expect(picks[11]).toBe(23);
    const gaps = picks.slice(1).map((p, i) => p - picks[i]);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
    expect(new Set(picks).size).toBe(12);
  });

  it('takes the newest when one is wanted', () => {
    expect(evenSampleIndices(10, 1)).toEqual([9]);
  });

  it('rejects negative or fractional sizes', () => {
    expect(() => evenSampleIndices(-1, 2)).toThrow(/non-negative integers/);
    expect(() => evenSampleIndices(3, 1.5)).toThrow(/non-negative integers/);
  });
});

describe('BoundedQueue', () => {
  it('respects its capacity by evicting the oldest and counting it', () => {
    const q = new BoundedQueue<number>(3);
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.size).toBe(3);
    expect(q.dropped).toBe(2);
    expect(q.takeEvenly(3)).toEqual([2, 3, 4]);
  });

  it('takes nothing until enough items are queued', () => {
    const q = new BoundedQueue<number>(10);
    q.push(1);
    expect(q.takeEvenly(2)).toBeUndefined();
    expect(q.size).toBe(1);
  });

  it('samples evenly from the backlog and drops the rest, so the queue is empty afterwards', () => {
    const q = new BoundedQueue<number>(24);
    for (let i = 0; i < 24; i++) q.push(i);
    const chunk = q.takeEvenly(12)!;
    expect(chunk[0]).toBe(0);
    expect(chunk[11]).toBe(23);
    expect(q.size).toBe(0);
    expect(q.dropped).toBe(12);
  });

  it('keeps latency flat when input outruns consumption', () => {
    // 30 fps input, a consumer taking 12 frames once per second: the oldest frame of each chunk
    // must never be older than the queue capacity allows, no matter how long this runs.
    const q = new BoundedQueue<number>(24);
    let frame = 0;
    const oldestAges: number[] = [];
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < 30; i++) q.push(frame++);
      const chunk = q.takeEvenly(12)!;
      oldestAges.push(frame - 1 - chunk[0]);
    }
    expect(Math.max(...oldestAges)).toBeLessThan(24);
    expect(oldestAges.at(-1)).toBe(oldestAges[0]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(/positive integer/);
  });
});
