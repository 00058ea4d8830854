/**
 * The TAE streaming caches of one session: the decoder's, the V2V input encoder's, and the
 * two VACE encoder streams'. VACE needs the inactive (kept pixels, F·(1−M)) and reactive
 * (pixels to generate / control signal, F·M) streams in SEPARATE caches: sharing one lets
 * each stream's temporal memory bleed into the other (ghosting; the tae fixture measures
 * 0.7–2.6 of latent difference).
 *
 * Policy (which state an encode call may read and write):
 * - inactive stream: its own cache whenever the caller streams it (every masked-path mode);
 * - reactive stream: its own cache in conditioning mode (mask entirely > 0.5); with a mixed
 *   mask (inpainting, outpainting, extension) the caller asks for a one-off encode, which
 *   reads zeros and writes nothing — the reactive cache is left as it was;
 * - references: always one-off, whatever the flag says; they never touch any cache;
 * - reset() clears every cache (upstream never clears its VACE caches — a bug not copied).
 * Which mode asks for what is decided in src/pipeline (mode.ts `caches`, vace-context.ts).
 */
import { TaeDecoderState, TaeEncoderState } from '../src/model/tae/state.ts';

/** The VACE context's encoder streams: two masked halves with a cache each, references with none. */
export type EncoderStream = 'inactive' | 'reactive' | 'reference';

export type TaeEncoderCacheName = 'video' | 'inactive' | 'reactive';

export class TaeStreamCache {
  readonly decoder = new TaeDecoderState();
  /** The V2V input video (scope's default encoder cache). */
  readonly video = new TaeEncoderState();
  readonly inactive = new TaeEncoderState();
  readonly reactive = new TaeEncoderState();

  /** The state a VACE encode call uses, or undefined for a one-off encode (no cache read or written). */
  vaceEncoderState(stream: EncoderStream, useCache: boolean): TaeEncoderState | undefined {
    if (stream === 'reference' || !useCache) return undefined;
    if (stream === 'inactive') return this.inactive;
    if (stream === 'reactive') return this.reactive;
    throw new Error(`TAE cache: unknown encoder stream "${String(stream)}"`);
  }

  encoder(name: TaeEncoderCacheName): TaeEncoderState {
    return this[name];
  }

  /** A new stream starts (session reset, mode change): every cache back to zeros, decoder trims again. */
  reset(): void {
    this.decoder.reset();
    this.video.reset();
    this.inactive.reset();
    this.reactive.reset();
  }
}
