/** Mp4Writer: rgb24 frames through an ffmpeg child into an H.264 MP4, read back; its error paths leave no child behind. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { RgbFrames } from '../../../src/frames.ts';
import { liveFfmpegChildren } from '../../../src/media/ffmpeg-process.ts';
import { probeVideo } from '../../../src/render/probe.ts';
import { readVideoFrames } from '../../../src/render/video-reader.ts';
import { Mp4Writer } from '../../../src/render/video-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-video-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 64;
const H = 48;
const rate = { num: 25, den: 1 };

/** `count` flat frames; frame i has the grey level levels[i]. */
function greyFrames(width: number, height: number, levels: readonly number[]): RgbFrames {
  const size = width * height * 3;
  const data = new Uint8Array(size * levels.length);
  levels.forEach((v, i) => data.fill(v, i * size, (i + 1) * size));
  return { width, height, count: levels.length, data };
}

const meanOf = (frame: Uint8Array) => frame.reduce((a, b) => a + b, 0) / frame.length;

/** The ffmpeg children started by a writer are gone (their exit is asynchronous after a kill). */
const noChildLeft = (before: number) => vi.waitFor(() => expect(liveFfmpegChildren()).toBe(before), { timeout: 5000, interval: 20 });

describe('Mp4Writer', () => {
  it('writes frames (whole batches and [from, to) ranges) that read back in order at the right size and count', async () => {
    const before = liveFfmpegChildren();
    const path = join(dir, 'grey.mp4');
    const writer = new Mp4Writer({ path, width: W, height: H, frameRate: rate });
    await writer.write(greyFrames(W, H, [20, 60]));
    // Of this batch only frames 1..3 (100, 140, 180) are written; the empty range writes nothing.
    const batch = greyFrames(W, H, [250, 100, 140, 180, 250]);
    await writer.write(batch, 1, 4);
    await writer.write(batch, 2, 2);
    expect(writer.framesWritten).toBe(5);
    await writer.finish();
    await writer.finish(); // finishing twice is a no-op
    expect(liveFfmpegChildren()).toBe(before);

    const info = await probeVideo(path);
    expect(info).toMatchObject({ width: W, height: H, codec: 'h264', frameRate: rate, frameCount: 5 });

    const means: number[] = [];
    for await (const f of readVideoFrames(path, W, H)) {
      expect(f.length).toBe(W * H * 3);
      means.push(meanOf(f));
    }
    expect(means).toHaveLength(5);
    // yuv420p at crf 18 keeps a flat grey within a few levels (studio-range rounding).
    [20, 60, 100, 140, 180].forEach((v, i) => expect(Math.abs(means[i]! - v)).toBeLessThan(4));
  });

  it('refuses odd sizes before starting ffmpeg', () => {
    const before = liveFfmpegChildren();
    expect(() => new Mp4Writer({ path: join(dir, 'odd.mp4'), width: 63, height: 48, frameRate: rate })).toThrow('yuv420p output needs even sizes, got 63×48');
    expect(liveFfmpegChildren()).toBe(before);
  });

  it('rejects a batch of the wrong frame size with a clear error and stays usable', async () => {
    const path = join(dir, 'after-bad-batch.mp4');
    const writer = new Mp4Writer({ path, width: W, height: H, frameRate: rate });
    await expect(writer.write(greyFrames(32, 32, [0]))).rejects.toThrow(`encoder takes ${W}×${H} frames, got 32×32`);
    expect(writer.framesWritten).toBe(0);
    await writer.write(greyFrames(W, H, [128, 128]));
    await writer.finish();
    expect((await probeVideo(path)).frameCount).toBe(2);
  });

  it('refuses writes after finish', async () => {
    const writer = new Mp4Writer({ path: join(dir, 'finished.mp4'), width: W, height: H, frameRate: rate });
    await writer.write(greyFrames(W, H, [1]));
    await writer.finish();
    await expect(writer.write(greyFrames(W, H, [1]))).rejects.toThrow('Mp4Writer: write after finish');
  });

  it('an output directory that does not exist fails finish() with the path and ffmpeg\'s reason, and no child is left', async () => {
    const before = liveFfmpegChildren();
    const path = join(dir, 'missing', 'out.mp4');
    const writer = new Mp4Writer({ path, width: W, height: H, frameRate: rate });
    const run = async () => {
      await writer.write(greyFrames(W, H, [10]));
      await writer.finish();
    };
    await expect(run()).rejects.toThrow(new RegExp(`^encoding ${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} failed \\(.*No such file or directory`, 's'));
    writer.abort();
    await noChildLeft(before);
    expect(existsSync(path)).toBe(false);
  });

  it('a write larger than the pipe buffer settles (rejects) when the encoder dies instead of hanging', async () => {
    const before = liveFfmpegChildren();
    const writer = new Mp4Writer({ path: join(dir, 'missing', 'big.mp4'), width: 640, height: 480, frameRate: rate });
    // 4 frames of 640×480 rgb24 = 3.7 MB: far more than a pipe holds, so the write waits for 'drain' that never comes.
    await expect(writer.write(greyFrames(640, 480, [0, 0, 0, 0]))).rejects.toThrow(/^encoding \S+big\.mp4 failed \(the encoder (exited while frames were pending|closed its input)\)/);
    writer.abort();
    await noChildLeft(before);
  });

  it('abort() kills a running encoder', async () => {
    const before = liveFfmpegChildren();
    const writer = new Mp4Writer({ path: join(dir, 'aborted.mp4'), width: W, height: H, frameRate: rate });
    await writer.write(greyFrames(W, H, [5, 6]));
    expect(liveFfmpegChildren()).toBe(before + 1);
    writer.abort();
    await noChildLeft(before);
    await expect(writer.write(greyFrames(W, H, [1]))).rejects.toThrow('write after finish');
  });
});
