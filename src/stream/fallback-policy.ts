/**
 * What a failed chunk leads to: an error report, and in generate mode a switch back to preview
 * staged for the next boundary — the stream stays alive instead of failing every chunk.
 */
import type { SessionParamsPatch } from './params.ts';
import type { StageFailure } from './stage.ts';

export type FallbackAction = { readonly report: string } | { readonly stage: SessionParamsPatch };

export function fallbackFor(failure: StageFailure): FallbackAction[] {
  const message = failure.error instanceof Error ? failure.error.message : String(failure.error);
  const generating = failure.params.mode === 'generate';
  const report = `${generating ? 'generation' : `control '${failure.controlId}'`} failed: ${message}`;
  return generating ? [{ report }, { stage: { mode: 'preview' } }] : [{ report }];
}
