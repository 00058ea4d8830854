/**
 * The render command's control flags (`--control`, `--mask`, `--outpaint`) turned into one
 * control-registry spec ({ id, options }), composing a control with a painted mask or outpaint
 * the way controls/compose.ts nests them.
 */
import { OUTPAINT_DIRECTIONS, type OutpaintDirection } from '../../controls/masks/outpaint-geometry.ts';

/** Controls that work from the frames alone (no options): what `--control` accepts. */
export const RENDER_CONTROLS = ['depth', 'scribble', 'gray', 'edges', 'passthrough'] as const;
export type RenderControlId = (typeof RENDER_CONTROLS)[number];

export interface OutpaintSpec {
  readonly directions: OutpaintDirection[];
  readonly ratio: number;
}

export interface ControlSpec {
  readonly id: string;
  readonly options?: Record<string, unknown>;
}

export function parseRenderControl(id: string): RenderControlId {
  if (!(RENDER_CONTROLS as readonly string[]).includes(id)) {
    throw new Error(`unknown control "${id}" (choose ${RENDER_CONTROLS.join(', ')}; use --mask or --outpaint for masks and outpainting)`);
  }
  return id as RenderControlId;
}

/**
 * `left=0.25,right=0.25` → directions + ratio. VACE's outpainting takes one ratio for all expanded
 * sides, so differing ratios are refused rather than silently averaged. A side without `=r`
 * takes the ratio of the others.
 */
export function parseOutpaint(text: string): OutpaintSpec {
  const directions: OutpaintDirection[] = [];
  const ratios = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [side, value, ...rest] = part.split('=');
    if (rest.length || !(OUTPAINT_DIRECTIONS as readonly string[]).includes(side!)) {
      throw new Error(`--outpaint: "${part}" is not side=ratio with side one of ${OUTPAINT_DIRECTIONS.join(', ')} (e.g. left=0.25,right=0.25)`);
    }
    if (directions.includes(side as OutpaintDirection)) throw new Error(`--outpaint: side "${side}" given twice`);
    directions.push(side as OutpaintDirection);
    if (value !== undefined) {
      const r = Number(value);
      if (!(value.trim() !== '' && Number.isFinite(r) && r > 0 && r <= 4)) throw new Error(`--outpaint: ratio for ${side} must be a number in (0, 4], got "${value}"`);
      ratios.add(r);
    }
  }
  if (directions.length === 0) throw new Error('--outpaint needs at least one side, e.g. left=0.25');
  if (ratios.size === 0) throw new Error(`--outpaint: give a ratio, e.g. ${directions[0]}=0.25`);
  if (ratios.size > 1) throw new Error(`--outpaint: one ratio applies to every expanded side (VACE outpainting); got ${[...ratios].join(', ')}`);
  return { directions, ratio: [...ratios][0]! };
}

export interface ControlFlags {
  readonly control?: RenderControlId;
  /** PNG bytes of a painted mask (white = regenerate). */
  readonly maskPng?: Uint8Array;
  readonly outpaint?: OutpaintSpec;
}

/** The registry spec for the flags, or undefined when no control applies (text / V2V mode). */
export function controlSpecFor(flags: ControlFlags): ControlSpec | undefined {
  if (flags.maskPng && flags.outpaint) throw new Error('--mask and --outpaint cannot be combined (one spatial layer per chunk)');
  const inner = flags.control ? { id: flags.control } : undefined;
  const inpaint = flags.maskPng ? { mask: { kind: 'painted', png: flags.maskPng } } : undefined;
  const outpaint = flags.outpaint ? { directions: flags.outpaint.directions, ratio: flags.outpaint.ratio } : undefined;
  if (!inpaint && !outpaint) return inner;
  return { id: 'compose', options: { ...(inner ? { control: inner } : {}), ...(inpaint ? { inpaint } : {}), ...(outpaint ? { outpaint } : {}) } };
}
