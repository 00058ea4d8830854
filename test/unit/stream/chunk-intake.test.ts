import { describe, expect, it } from 'vitest';
import { ChunkIntake } from '../../../src/stream/chunk-intake.ts';
import { rgb } from '../../support/stream-stages.ts';

describe('ChunkIntake', () => {
  it('numbers frames as they arrive and answers a request only once enough are queued', () => {
    const intake = new ChunkIntake(8);
    expect(intake.processInput({ frame: rgb(2, 1, 0), capturedAt: 5 })).toEqual([]);
    expect(intake.has(2)).toBe(false);
    expect(intake.processInput({ take: 2 })).toEqual([]);
    expect(intake.queued).toBe(1); // a refused request takes nothing
    intake.processInput({ frame: rgb(2, 1, 1), capturedAt: 6 });
    const [chunk] = intake.processInput({ take: 2 });
    expect(chunk.batch.map((f) => [f.seq, f.capturedAt])).toEqual([
      [0, 5],
      [1, 6],
    ]);
    expect(chunk.frames).toMatchObject({ width: 2, height: 1, count: 2 });
    expect(intake.received).toBe(2);
    expect(intake.frameSize).toEqual({ width: 2, height: 1 });
  });

  it('samples evenly over everything queued, newest included, and counts the rest as dropped', () => {
    const intake = new ChunkIntake(24);
    for (let i = 0; i < 9; i++) intake.processInput({ frame: rgb(1, 1, i), capturedAt: i });
    const [chunk] = intake.processInput({ take: 3 });
    expect(chunk.batch.map((f) => f.seq)).toEqual([0, 4, 8]);
    expect(intake.dropped).toBe(6);
    expect(intake.queued).toBe(0);
  });

  it('drops a batch that mixes frame sizes (the camera changed size) and goes on', () => {
    const intake = new ChunkIntake(8);
    intake.processInput({ frame: rgb(2, 1, 0), capturedAt: 0 });
    intake.processInput({ frame: rgb(1, 2, 0), capturedAt: 1 });
    expect(intake.processInput({ take: 2 })).toEqual([]);
    expect(intake.dropped).toBe(2);
    intake.processInput({ frame: rgb(1, 2, 0), capturedAt: 2 });
    expect(intake.processInput({ take: 1 })[0].frames).toMatchObject({ width: 1, height: 2 });
    expect(intake.frameSize).toEqual({ width: 1, height: 2 });
  });

  it('evicts the oldest frame beyond its capacity and counts what clear discards', () => {
    const intake = new ChunkIntake(2);
    for (let i = 0; i < 3; i++) intake.processInput({ frame: rgb(1, 1, i), capturedAt: i });
    expect(intake.queued).toBe(2);
    expect(intake.dropped).toBe(1);
    intake.clear();
    expect(intake.dropped).toBe(3);
  });
});
