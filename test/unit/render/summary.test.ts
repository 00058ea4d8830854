/** The render summary the CLI prints: frame arithmetic, padding and control lines, singular/plural. */
import { describe, expect, it } from 'vitest';
import type { RenderSummary } from '../../../src/render/pipeline.ts';
import { formatRenderSummary } from '../../../src/render/summary.ts';

const base: RenderSummary = {
  input: 'in.mp4',
  out: 'out.mp4',
  inputWidth: 1920,
  inputHeight: 1080,
  width: 832,
  height: 480,
  frameRate: { num: 30000, den: 1001 },
  framesIn: 24,
  framesOut: 21,
  paddingFrames: 0,
  warmupFrames: 3,
  chunks: 2,
  chunkFrames: [12, 12],
  msPerChunk: [100, 200],
  controlMsPerChunk: [0, 0],
  medianMs: 150.4,
  p90Ms: 190.6,
  totalSeconds: 2.1,
};

const line = (text: string, label: string) => text.split('\n').find((l) => l.startsWith(`  ${label}`));

describe('formatRenderSummary', () => {
  it('prints every line for a render without padding or control', () => {
    expect(formatRenderSummary(base).split('\n')).toEqual([
      'render summary',
      '  input    in.mp4: 1920×1080 @ 29.970 fps, 24 frames (fitted to 832×480: scale to cover, centre crop)',
      '  output   out.mp4: 832×480 @ 29.970 fps, 21 frames = 24 − 3 (the first chunk after a reset returns 3 frames fewer: TAE decoder warm-up)',
      '  chunks   2 of 12 frames',
      '  per chunk (control + generation): median 150 ms, p90 191 ms',
      '  total    2.1 s (10.0 output fps, including decode/encode)',
    ]);
  });

  it('says "frame" for a warm-up of one and leaves the arithmetic out without warm-up', () => {
    expect(line(formatRenderSummary({ ...base, framesOut: 23, warmupFrames: 1 }), 'output')).toBe(
      '  output   out.mp4: 832×480 @ 29.970 fps, 23 frames = 24 − 1 (the first chunk after a reset returns 1 frame fewer: TAE decoder warm-up)',
    );
    expect(line(formatRenderSummary({ ...base, framesOut: 24, warmupFrames: 0, frameRate: { num: 25, den: 1 } }), 'output')).toBe(
      '  output   out.mp4: 832×480 @ 25 fps, 24 frames',
    );
  });

  it('adds the padding note only when the last chunk was padded, and lists distinct chunk sizes in order', () => {
    expect(line(formatRenderSummary(base), 'chunks')).not.toMatch(/padded/);
    expect(line(formatRenderSummary({ ...base, chunks: 3, chunkFrames: [9, 12, 12], paddingFrames: 5 }), 'chunks')).toBe(
      '  chunks   3 of 9/12 frames; the last padded with 5 repeated frame(s), their outputs dropped',
    );
  });

  it('reports the control median only when some chunk spent time in the control', () => {
    expect(line(formatRenderSummary(base), 'per chunk')).not.toMatch(/control alone/);
    expect(line(formatRenderSummary({ ...base, controlMsPerChunk: [0, 30, 50] }), 'per chunk')).toBe(
      '  per chunk (control + generation): median 150 ms, p90 191 ms (control alone: median 30 ms)',
    );
  });
});
