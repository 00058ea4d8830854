/**
 * Generation mode inferred from which inputs a chunk has (there is no explicit mode flag, as
 * in scope's `VaceEncodingBlock`): extension (a first and/or last frame image) takes
 * precedence over conditioning (control frames), which takes precedence over reference-only;
 * reference images compose with all of them. The result also says which path builds the VACE
 * context and which TAE encoder caches that path uses.
 */

export type VaceModeKind =
  /** No VACE input: plain text-to-video (or V2V) generation, no VACE context. */
  | 'text'
  /** Control frames (depth, scribble, pose, …) with no mask or a mask entirely > 0.5. */
  | 'conditioning'
  /** Control frames with a mixed mask (some values ≤ 0.5): inpainting, or outpainting when the mask marks the borders. */
  | 'inpainting'
  /** A first and/or last frame image anchors the chunk (optionally with control frames / mask). */
  | 'extension'
  /** Reference images only (R2V). */
  | 'reference';

export type ExtensionAnchors = 'none' | 'first' | 'last' | 'first-last';

/** Which builder makes the 96-channel context: none, the reference-only stack, or the masked inactive/reactive path. */
export type VaceEncodePath = 'none' | 'reference-only' | 'masked';

export interface EncoderCacheUse {
  /** The inactive stream F·(1−M) is encoded with its streaming cache (always on the masked path). */
  readonly inactive: boolean;
  /** The reactive stream F·M uses its own cache only when every mask value is > 0.5. */
  readonly reactive: boolean;
  /** Reference images are always encoded one-off, never with a cache. */
  readonly references: false;
}

export interface VaceMode {
  readonly kind: VaceModeKind;
  /** Human-readable composition, e.g. `inpainting+refs`, `extension(first)+conditioning`. */
  readonly label: string;
  readonly usesVace: boolean;
  readonly encodePath: VaceEncodePath;
  /** Control frames are present. */
  readonly conditioning: boolean;
  /** The effective mask has values ≤ 0.5 (given mixed mask, or the zeroed anchor frames of extension). */
  readonly masked: boolean;
  readonly extension: ExtensionAnchors;
  readonly referenceCount: number;
  readonly caches: EncoderCacheUse;
  /**
   * The context depends on nothing that changes per chunk (references and/or an extension
   * image, no control frames): its VACE hints can be computed once and reused until those
   * inputs change.
   */
  readonly staticContext: boolean;
}

/** What mode inference looks at; the VACE context inputs satisfy it structurally. */
export interface VaceInputPresence {
  /** Control frames of this chunk. */
  readonly frames?: object | undefined;
  /** Raw mask values in [0, 1] (default: all ones). */
  readonly mask?: { readonly data: ArrayLike<number> } | undefined;
  readonly firstFrame?: object | undefined;
  readonly lastFrame?: object | undefined;
  readonly references?: readonly object[] | undefined;
}

/** True when some value is ≤ 0.5 (the strict `mask > 0.5` split puts it in the inactive stream). */
export function maskIsMixed(mask: { readonly data: ArrayLike<number> } | undefined): boolean {
  if (mask === undefined) return false;
  const d = mask.data;
  for (let i = 0; i < d.length; i++) if (!(d[i]! > 0.5)) return true;
  return false;
}

export function inferVaceMode(inputs: VaceInputPresence): VaceMode {
  const conditioning = inputs.frames !== undefined;
  if (inputs.mask !== undefined && !conditioning) {
    throw new Error('VACE inputs: a mask was given without control frames (the mask says where the control frames apply)');
  }
  const referenceCount = inputs.references?.length ?? 0;
  const hasFirst = inputs.firstFrame !== undefined;
  const hasLast = inputs.lastFrame !== undefined;
  const extension: ExtensionAnchors = hasFirst && hasLast ? 'first-last' : hasFirst ? 'first' : hasLast ? 'last' : 'none';
  const givenMaskMixed = maskIsMixed(inputs.mask);

  let kind: VaceModeKind;
  if (extension !== 'none') kind = 'extension';
  else if (conditioning) kind = givenMaskMixed ? 'inpainting' : 'conditioning';
  else if (referenceCount > 0) kind = 'reference';
  else kind = 'text';

  const encodePath: VaceEncodePath = kind === 'text' ? 'none' : kind === 'reference' ? 'reference-only' : 'masked';
  // Extension zeroes the mask on its anchor frames, so its effective mask is always mixed.
  const masked = kind === 'extension' || givenMaskMixed;
  const caches: EncoderCacheUse = {
    inactive: encodePath === 'masked',
    reactive: encodePath === 'masked' && !masked,
    references: false,
  };

  const parts: string[] = [kind === 'extension' ? `extension(${extension})` : kind];
  if (kind === 'extension' && conditioning) parts.push(givenMaskMixed ? 'inpainting' : 'conditioning');
  if (referenceCount > 0 && kind !== 'reference') parts.push('refs');

  return {
    kind,
    label: parts.join('+'),
    usesVace: kind !== 'text',
    encodePath,
    conditioning,
    masked,
    extension,
    referenceCount,
    caches,
    staticContext: kind !== 'text' && !conditioning,
  };
}
