/**
 * The shape of the session pipeline's stages, after werift's RTP `Processor<Input, Output>`: a
 * small object that turns one input into zero or more outputs, with no I/O and no timers of its
 * own. A thin driver (session-pipeline.ts) owns the clock, the timer, the awaits and rxjs, and
 * hands each stage's output to the next: frames → chunk → control → generate → pace → out.
 */
import type { SessionParams } from './params.ts';

export interface Stage<In, Out> {
  processInput(input: In): Out[];
}

/** A stage whose work is awaited (a control, the generator): one input, exactly one output. */
export interface AsyncStage<In, Out> {
  processInput(input: In): Promise<Out>;
}

/**
 * A stage that failed on a chunk. It travels forward like any output; the fallback policy turns it
 * into an error report (and, in generate mode, a switch back to preview).
 */
export interface StageFailure {
  readonly failed: 'control' | 'generation';
  /** The parameters the chunk was processed with. */
  readonly params: SessionParams;
  /** The session's control at the time (named in the report in preview mode). */
  readonly controlId: string;
  readonly error: unknown;
}

export function isStageFailure(x: object): x is StageFailure {
  return 'failed' in x;
}
