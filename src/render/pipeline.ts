/**
 * The offline render: the same streaming pipeline a live session runs, fed from a file.
 *
 *   ffmpeg decoder (rgb24 at the model size, cover + centre crop)
 *     → chunks of generator.framesForNextChunk() frames (last one padded by repeating its last frame)
 *     → control (frames → control frames + mask)
 *     → generator.generate()
 *     → ffmpeg encoder (libx264, yuv420p, the input's frame rate) → MP4
 *
 * Frame accounting: the first chunk after a generator reset comes back shorter (the TAE decoder's
 * warm-up trim: 3 frames for Wan/TAEHV), and the outputs of padding frames are dropped, so the MP4
 * has `framesIn − warm-up` frames; the summary reports both numbers.
 */
import { rm } from 'node:fs/promises';
import type { Control } from '../../controls/types.ts';
import type { RgbFrames } from '../frames.ts';
import type { ChunkGenerator, GenerationParams } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import { FrameChunker, framesToKeep, type InputChunk } from '../stream/chunker.ts';
import type { RenderProgressState } from './progress.ts';
import { probeVideo, type FrameRate, type VideoInfo } from './probe.ts';
import { median, quantile } from './stats.ts';
import { readVideoFrames } from './video-reader.ts';
import { Mp4Writer } from './video-writer.ts';

export interface RenderJob {
  readonly input: string;
  readonly out: string;
  readonly generator: ChunkGenerator;
  /** Frame size the generator takes (the model size); the input is fitted to it. */
  readonly width: number;
  readonly height: number;
  readonly control?: Control;
  readonly params: GenerationParams;
  readonly references?: readonly RgbImage[];
  /** Extension anchor for the start of the video: given to the first chunk only. */
  readonly firstFrame?: RgbImage;
  /** Probed input (probed here when absent). */
  readonly info?: VideoInfo;
  readonly onProgress?: (s: RenderProgressState) => void;
}

export interface RenderSummary {
  readonly input: string;
  readonly out: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly width: number;
  readonly height: number;
  readonly frameRate: FrameRate;
  readonly framesIn: number;
  readonly framesOut: number;
  /** Repeated frames appended to the last chunk (their outputs are dropped). */
  readonly paddingFrames: number;
  /** Frames the generator did not return beyond the padding (the first chunk's decoder warm-up). */
  readonly warmupFrames: number;
  readonly chunks: number;
  /** Input frames per chunk, in order. */
  readonly chunkFrames: readonly number[];
  /** Control + generation time per chunk. */
  readonly msPerChunk: readonly number[];
  /** The control's share of each chunk (0 without a control). */
  readonly controlMsPerChunk: readonly number[];
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly totalSeconds: number;
}

export async function renderVideo(job: RenderJob): Promise<RenderSummary> {
  const t0 = performance.now();
  const info = job.info ?? (await probeVideo(job.input));
  const gen = job.generator;
  const outSize = gen.outputSize(job.width, job.height);
  gen.reset();
  job.control?.reset();

  const writer = new Mp4Writer({ path: job.out, width: outSize.width, height: outSize.height, frameRate: info.frameRate });
  const chunker = new FrameChunker(job.width, job.height, () => gen.framesForNextChunk());
  const msPerChunk: number[] = [];
  const controlMsPerChunk: number[] = [];
  const chunkFrames: number[] = [];
  let framesIn = 0;
  let framesOut = 0;
  let paddingFrames = 0;
  let returned = 0;
  let chunked = 0;

  const progress = () =>
    job.onProgress?.({ framesDone: framesIn, framesTotal: info.frameCount, framesOut, chunksDone: msPerChunk.length, elapsedSeconds: (performance.now() - t0) / 1000 });

  const runChunk = async (chunk: InputChunk) => {
    const c0 = performance.now();
    const control = job.control ? await job.control.process(chunk.frames) : undefined;
    const c1 = performance.now();
    const frames: RgbFrames = await gen.generate({
      frames: chunk.frames,
      control: control ? { frames: control.frames, mask: control.mask } : undefined,
      params: job.params,
      references: job.references,
      firstFrame: msPerChunk.length === 0 ? job.firstFrame : undefined,
    });
    msPerChunk.push(performance.now() - c0);
    controlMsPerChunk.push(c1 - c0);
    chunkFrames.push(chunk.frames.count);
    chunked += chunk.frames.count;
    paddingFrames += chunk.padding;
    returned += frames.count;
    const keep = framesToKeep(frames.count, chunk.padding);
    await writer.write(frames, 0, keep);
    framesOut += keep;
    progress();
  };

  try {
    for await (const frame of readVideoFrames(job.input, job.width, job.height)) {
      framesIn++;
      const chunk = chunker.push(frame);
      if (chunk) await runChunk(chunk);
    }
    const last = chunker.flush();
    if (last) await runChunk(last);
    if (framesIn === 0) throw new Error(`${job.input}: no video frames could be decoded`);
    if (framesOut === 0) {
      throw new Error(`${job.input}: ${framesIn} frame(s) give no output: the first chunk after a reset returns ${chunked - returned} frame(s) fewer than it takes (decoder warm-up); use a longer clip`);
    }
    await writer.finish();
  } catch (e) {
    writer.abort();
    await rm(job.out, { force: true }).catch(() => undefined);
    throw e;
  }
  return {
    input: job.input,
    out: job.out,
    inputWidth: info.width,
    inputHeight: info.height,
    width: outSize.width,
    height: outSize.height,
    frameRate: info.frameRate,
    framesIn,
    framesOut,
    paddingFrames,
    warmupFrames: framesIn - framesOut,
    chunks: msPerChunk.length,
    chunkFrames,
    msPerChunk,
    controlMsPerChunk,
    medianMs: median(msPerChunk),
    p90Ms: quantile(msPerChunk, 0.9),
    totalSeconds: (performance.now() - t0) / 1000,
  };
}
