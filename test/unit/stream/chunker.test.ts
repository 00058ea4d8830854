import { describe, expect, it } from 'vitest';
import type { RgbFrames } from '../../../src/frames.ts';
import { ChunkBuffer, FrameChunker, packChunk, unpackChunk } from '../../../src/stream/chunker.ts';
import type { TimedFrame } from '../../../src/stream/types.ts';

function timed(value: number, seq: number, width = 2, height = 1): TimedFrame {
  return { frame: { width, height, count: 1, data: new Uint8Array(width * height * 3).fill(value) }, capturedAt: 100 + seq, seq };
}

describe('ChunkBuffer', () => {
  it('copies frames in order and pads the empty slots with the last frame', () => {
    const b = new ChunkBuffer(1, 1, 4);
    const reused = new Uint8Array(3);
    for (const v of [5, 6]) {
      reused.fill(v);
      b.add(reused);
    }
    reused.fill(0); // the caller reusing its buffer must not change the chunk
    const { frames, padding } = b.finish();
    expect(padding).toBe(2);
    expect(frames).toMatchObject({ width: 1, height: 1, count: 4 });
    expect(Array.from(frames.data)).toEqual([5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 6]);
  });

  it('refuses frames of another size, a full chunk and an empty finish', () => {
    const b = new ChunkBuffer(2, 2, 1);
    expect(() => b.add(new Uint8Array(3))).toThrow('frame has 3 bytes, 2×2 RGB needs 12');
    expect(() => b.finish()).toThrow(/empty chunk/);
    b.add(new Uint8Array(12));
    expect(() => b.add(new Uint8Array(12))).toThrow(/already full/);
    expect(() => new ChunkBuffer(2, 2, 0)).toThrow(/positive integer/);
  });
});

describe('packChunk / unpackChunk (live session)', () => {
  it('packs a sampled batch into one chunk and refuses mixed sizes by dimensions', () => {
    const chunk = packChunk([timed(1, 0), timed(2, 1), timed(3, 2)]);
    expect(chunk).toMatchObject({ width: 2, height: 1, count: 3 });
    expect(Array.from(chunk.data.filter((_, i) => i % 6 === 0))).toEqual([1, 2, 3]);
    // Same byte length, other shape: still a different frame size.
    expect(() => packChunk([timed(1, 0, 2, 1), timed(1, 1, 1, 2)])).toThrow('packChunk: frame 1 is 1×2×1, chunk is 2×1');
    expect(() => packChunk([])).toThrow(/no frames/);
  });

  it('gives each output frame the capture time and seq of the input at the same relative position', () => {
    const sources = [timed(0, 10), timed(0, 11), timed(0, 12), timed(0, 13)];
    const out: RgbFrames = { width: 1, height: 1, count: 2, data: new Uint8Array([1, 1, 1, 2, 2, 2]) };
    const frames = unpackChunk(out, sources);
    expect(frames.map((f) => [f.seq, f.capturedAt, f.frame.data[0]])).toEqual([
      [10, 110, 1],
      [13, 113, 2],
    ]);
    expect(unpackChunk({ ...out, count: 1, data: new Uint8Array(3) }, sources)[0].seq).toBe(13);
  });
});

describe('FrameChunker (offline render)', () => {
  it('asks the chunk length before each chunk and numbers the chunks by their first input frame', () => {
    const asked: number[] = [];
    const sizes = [2, 3];
    const c = new FrameChunker(1, 1, () => {
      const n = sizes.shift() ?? 1;
      asked.push(n);
      return n;
    });
    const chunks = [1, 2, 3, 4, 5, 6].map((v) => c.push(new Uint8Array(3).fill(v))).filter((x) => x !== null);
    expect(chunks.map((x) => [x!.firstFrame, x!.frames.count, x!.padding])).toEqual([
      [0, 2, 0],
      [2, 3, 0],
      [5, 1, 0],
    ]);
    expect(asked).toEqual([2, 3, 1]);
    expect(c.flush()).toBeNull();
  });

  it('refuses a chunk length that is not a positive integer', () => {
    expect(() => new FrameChunker(1, 1, () => 0).push(new Uint8Array(3))).toThrow('generator asked for 0 frames per chunk');
  });
});
