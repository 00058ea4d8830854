/** The render summary as the CLI prints it. */
import type { RenderSummary } from './pipeline.ts';
import { formatFrameRate } from './probe.ts';
import { median } from './stats.ts';

export function formatRenderSummary(s: RenderSummary): string {
  const fps = formatFrameRate(s.frameRate);
  const sizes = [...new Set(s.chunkFrames)].join('/');
  const lost = s.warmupFrames;
  const lines = [
    'render summary',
    `  input    ${s.input}: ${s.inputWidth}×${s.inputHeight} @ ${fps} fps, ${s.framesIn} frames (fitted to ${s.width}×${s.height}: scale to cover, centre crop)`,
    `  output   ${s.out}: ${s.width}×${s.height} @ ${fps} fps, ${s.framesOut} frames` +
      (lost > 0 ? ` = ${s.framesIn} − ${lost} (the first chunk after a reset returns ${lost} frame${lost === 1 ? '' : 's'} fewer: TAE decoder warm-up)` : ''),
    `  chunks   ${s.chunks} of ${sizes} frames` + (s.paddingFrames > 0 ? `; the last padded with ${s.paddingFrames} repeated frame(s), their outputs dropped` : ''),
    `  per chunk (control + generation): median ${s.medianMs.toFixed(0)} ms, p90 ${s.p90Ms.toFixed(0)} ms` +
      (s.controlMsPerChunk.some((v) => v > 0) ? ` (control alone: median ${median(s.controlMsPerChunk).toFixed(0)} ms)` : ''),
    `  total    ${s.totalSeconds.toFixed(1)} s (${(s.framesOut / s.totalSeconds).toFixed(1)} output fps, including decode/encode)`,
  ];
  return lines.join('\n');
}
