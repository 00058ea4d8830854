/**
 * Builds the 96-channel VACE context of one chunk (scope `VaceEncodingBlock` +
 * `vace_encode_frames` / `vace_encode_masks` / `vace_latent`), layout [C, T, H/8, W/8]:
 *
 * - masked path (conditioning, inpainting/outpainting, extension): channels
 *   [inactive latent (16) | reactive latent (16) | mask (64)], where inactive = F·(1−M) and
 *   reactive = F·M with M = (mask > 0.5), each through its own encoder stream;
 * - reference-only (R2V): [reference latents (16) | zeros (80)];
 * - reference images compose with the masked path: each is encoded on its own, padded with 16
 *   zero latent channels and zero mask channels, and prepended along time.
 *
 * The mode comes from `inferVaceMode` (which inputs are present). All sizes come from the
 * inputs and the config; the encoder is an interface (the TAE, or a test stub).
 */
import type { EncoderStream } from '../../cache/tae-cache.ts';
import { f32, type F32Tensor } from '../model/tensor.ts';
import { encodeMaskChannels, latentFrameCount, WAN_VAE_STRIDES, type VaeStrides } from './mask-encoding.ts';
import { inferVaceMode, type VaceMode } from './mode.ts';
import { prepareReferenceImage, type RgbImage } from './reference-images.ts';


/** The VAE/TAE encoder as the VACE context needs it. */
export interface VaceFrameEncoder {
  /**
   * frames: [3, F, H, W] (CFHW) float32 in [−1, 1] → latents [C_lat, F', H/8, W/8].
   * `stream` selects the encoder cache (inactive and reactive keep separate ones, references
   * none); `useCache: false` encodes one-off without touching that stream's cache.
   */
  encode(frames: F32Tensor, stream: EncoderStream, useCache: boolean): Promise<F32Tensor>;
}

export interface VaceInputs {
  /** Control frames [C, F, H, W] in [−1, 1], C = 1 (repeated to 3) or 3. */
  readonly frames?: F32Tensor | undefined;
  /** Raw mask [1, F, H, W] in [0, 1], 1 = generate; only with `frames`. Default: all ones. */
  readonly mask?: F32Tensor | undefined;
  /** Extension anchor replicated over the first temporal group of frames. */
  readonly firstFrame?: RgbImage | undefined;
  /** Extension anchor replicated over the last temporal group of frames. */
  readonly lastFrame?: RgbImage | undefined;
  /** Reference images (style / identity), each encoded on its own. */
  readonly references?: readonly RgbImage[] | undefined;
}

export interface VaceContextConfig {
  /** Target pixel size (control frames must have it; images are resized to it). */
  readonly height: number;
  readonly width: number;
  /** Pixel frames of the extension sequence (scope: num_frame_per_block · temporal stride = 12). */
  readonly extensionFrames: number;
  readonly strides?: VaeStrides;
  /** Most reference images accepted (the upstream streaming code supports one; we allow 3). */
  readonly maxReferences?: number;
}

export interface VaceContext {
  /** [2·C_lat + s², T, H/s, W/s]; T = number of references + latent frames of the chunk. */
  readonly context: F32Tensor;
  readonly mode: VaceMode;
  /** Leading latent frames that belong to reference images. */
  readonly referenceFrames: number;
}

export const DEFAULT_MAX_REFERENCES = 3;

/** Returns null in text mode (no VACE input at all). */
export async function buildVaceContext(inputs: VaceInputs, encoder: VaceFrameEncoder, config: VaceContextConfig): Promise<VaceContext | null> {
  const mode = inferVaceMode(inputs);
  if (mode.kind === 'text') return null;
  const strides = config.strides ?? WAN_VAE_STRIDES;
  validateConfig(config, strides);
  const references = inputs.references ?? [];
  const maxRefs = config.maxReferences ?? DEFAULT_MAX_REFERENCES;
  if (references.length > maxRefs) throw new RangeError(`VACE inputs: ${references.length} reference images given, at most ${maxRefs} are supported`);
  const refPixels = references.map((img, i) => prepareReferenceImage(img, config.height, config.width, `reference image ${i}`));

  if (mode.encodePath === 'reference-only') {
    const refLatents = await encodeReferences(encoder, refPixels, config, strides);
    const lat = refLatents[0]!;
    const latentChannels = lat.shape[0]!;
    const [h, w] = [lat.shape[2]!, lat.shape[3]!];
    const channels = 2 * latentChannels + strides.spatial * strides.spatial;
    const context = f32([channels, refLatents.length, h, w]);
    refLatents.forEach((r, t) => copyInto(context, r, 0, t));
    return { context, mode, referenceFrames: refLatents.length };
  }

  const { frames, mask } = mode.kind === 'extension' ? extensionSequence(inputs, config, strides) : conditioningSequence(inputs, config);
  const { inactive, reactive, allReactive } = splitByMask(frames, mask);
  // Call order as upstream: inactive, reactive, then the references.
  const zInactive = checkLatent(await encoder.encode(inactive, 'inactive', true), frames, config, strides, 'inactive');
  const zReactive = checkLatent(await encoder.encode(reactive, 'reactive', allReactive), frames, config, strides, 'reactive');
  const refLatents = await encodeReferences(encoder, refPixels, config, strides);
  const maskChannels = encodeMaskChannels(mask, strides);

  const latentChannels = zInactive.shape[0]!;
  for (const [what, z] of [['reactive', zReactive], ['reference', refLatents[0]]] as const) {
    if (z && z.shape[0] !== latentChannels) throw new Error(`VACE encoder: ${what} latents have ${z.shape[0]} channels, inactive ${latentChannels}`);
  }
  const [chunkFrames, h, w] = [zInactive.shape[1]!, zInactive.shape[2]!, zInactive.shape[3]!];
  const nRef = refLatents.length;
  const context = f32([2 * latentChannels + maskChannels.shape[0]!, nRef + chunkFrames, h, w]);
  // References: latent in channels [0, C_lat), zero reactive and mask channels.
  refLatents.forEach((r, t) => copyInto(context, r, 0, t));
  copyInto(context, zInactive, 0, nRef);
  copyInto(context, zReactive, latentChannels, nRef);
  copyInto(context, maskChannels, 2 * latentChannels, nRef);
  return { context, mode, referenceFrames: nRef };
}

function validateConfig(config: VaceContextConfig, strides: VaeStrides): void {
  const { height, width, extensionFrames } = config;
  const cell = 2 * strides.spatial;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height % cell !== 0 || width % cell !== 0) {
    throw new RangeError(`VACE context: size ${width}×${height} must be positive multiples of ${cell}`);
  }
  if (!Number.isInteger(extensionFrames) || extensionFrames < strides.temporal) {
    throw new RangeError(`VACE context: extensionFrames must be an integer ≥ ${strides.temporal}, got ${extensionFrames}`);
  }
}

/** Control frames as 3-channel CFHW, validated against the target size; 1 channel is repeated to 3. */
function controlFrames(frames: F32Tensor, config: VaceContextConfig): F32Tensor {
  const s = frames.shape;
  if (s.length !== 4) throw new RangeError(`VACE control frames must be [C, F, H, W], got [${s.join(', ')}]`);
  const [c, n, h, w] = s as [number, number, number, number];
  if (h !== config.height || w !== config.width) {
    throw new RangeError(`VACE control frames are ${w}×${h}, the target resolution is ${config.width}×${config.height}`);
  }
  if (c === 3) return frames;
  if (c !== 1) throw new RangeError(`VACE control frames must have 1 or 3 channels, got ${c}`);
  const plane = n * h * w;
  const out = f32([3, n, h, w]);
  for (let ch = 0; ch < 3; ch++) out.data.set(frames.data.subarray(0, plane), ch * plane);
  return out;
}

function checkMask(mask: F32Tensor, frames: number, config: VaceContextConfig): void {
  const s = mask.shape;
  if (s.length !== 4 || s[0] !== 1 || s[1] !== frames || s[2] !== config.height || s[3] !== config.width) {
    throw new RangeError(`VACE mask must be [1, ${frames}, ${config.height}, ${config.width}] to match the control frames, got [${s.join(', ')}]`);
  }
}

function onesMask(frames: number, height: number, width: number): F32Tensor {
  return f32([1, frames, height, width], new Float32Array(frames * height * width).fill(1));
}

function conditioningSequence(inputs: VaceInputs, config: VaceContextConfig): { frames: F32Tensor; mask: F32Tensor } {
  const frames = controlFrames(inputs.frames!, config);
  const n = frames.shape[1]!;
  if (inputs.mask) checkMask(inputs.mask, n, config);
  return { frames, mask: inputs.mask ?? onesMask(n, config.height, config.width) };
}

/** First `count` frames of a [C, F, H, W] tensor, padding with copies of its last frame. */
function takeFrames(t: F32Tensor, count: number): F32Tensor {
  const [c, n, h, w] = t.shape as [number, number, number, number];
  const plane = h * w;
  const out = f32([c, count, h, w]);
  for (let ch = 0; ch < c; ch++) {
    for (let f = 0; f < count; f++) {
      const from = (ch * n + Math.min(f, n - 1)) * plane;
      out.data.set(t.data.subarray(from, from + plane), (ch * count + f) * plane);
    }
  }
  return out;
}

/**
 * Extension: an `extensionFrames`-long sequence (the control frames, truncated or padded with
 * their last frame, else zeros) with the anchor image over the first and/or last temporal group.
 * Without a given mask the anchor replaces those frames and the mask is 0 there, 1 elsewhere;
 * with a mask the anchor is composited where mask > 0.5 and the mask is forced to 0 on them.
 */
function extensionSequence(inputs: VaceInputs, config: VaceContextConfig, strides: VaeStrides): { frames: F32Tensor; mask: F32Tensor } {
  const n = config.extensionFrames;
  const { height, width } = config;
  const group = strides.temporal;
  let frames: F32Tensor;
  let mask: F32Tensor;
  if (inputs.frames) {
    const control = controlFrames(inputs.frames, config);
    if (inputs.mask) checkMask(inputs.mask, control.shape[1]!, config);
    frames = takeFrames(control, n);
    mask = inputs.mask ? takeFrames(inputs.mask, n) : onesMask(n, height, width);
  } else {
    frames = f32([3, n, height, width]);
    mask = onesMask(n, height, width);
  }
  const composite = inputs.frames !== undefined && inputs.mask !== undefined;
  const anchors: { image: RgbImage; start: number; what: string }[] = [];
  if (inputs.firstFrame) anchors.push({ image: inputs.firstFrame, start: 0, what: 'first frame image' });
  if (inputs.lastFrame) anchors.push({ image: inputs.lastFrame, start: n - group, what: 'last frame image' });
  if (anchors.length === 2 && n < 2 * group) throw new RangeError(`VACE extension: first and last frame need ${2 * group} frames, extensionFrames is ${n}`);
  const plane = height * width;
  for (const anchor of anchors) {
    const ref = prepareReferenceImage(anchor.image, height, width, anchor.what);
    for (let f = anchor.start; f < anchor.start + group; f++) {
      const maskBase = f * plane;
      for (let c = 0; c < 3; c++) {
        const frameBase = (c * n + f) * plane;
        for (let p = 0; p < plane; p++) {
          if (!composite || mask.data[maskBase + p]! > 0.5) frames.data[frameBase + p] = ref.data[c * plane + p]!;
        }
      }
      mask.data.fill(0, maskBase, maskBase + plane);
    }
  }
  return { frames, mask };
}

/** inactive = F·(1 − M), reactive = F·M with M = (mask > 0.5), the mask broadcast over channels. */
function splitByMask(frames: F32Tensor, mask: F32Tensor): { inactive: F32Tensor; reactive: F32Tensor; allReactive: boolean } {
  const [c, n, h, w] = frames.shape as [number, number, number, number];
  const perChannel = n * h * w;
  const inactive = f32([c, n, h, w]);
  const reactive = f32([c, n, h, w]);
  let allReactive = true;
  for (let i = 0; i < perChannel; i++) {
    const on = mask.data[i]! > 0.5;
    if (!on) allReactive = false;
    for (let ch = 0; ch < c; ch++) {
      const j = ch * perChannel + i;
      if (on) reactive.data[j] = frames.data[j]!;
      else inactive.data[j] = frames.data[j]!;
    }
  }
  return { inactive, reactive, allReactive };
}

async function encodeReferences(encoder: VaceFrameEncoder, refs: readonly F32Tensor[], config: VaceContextConfig, strides: VaeStrides): Promise<F32Tensor[]> {
  const out: F32Tensor[] = [];
  const [h, w] = [config.height / strides.spatial, config.width / strides.spatial];
  for (const [i, ref] of refs.entries()) {
    const lat = await encoder.encode(ref, 'reference', false);
    if (lat.shape.length !== 4 || lat.shape[1] !== 1 || lat.shape[2] !== h || lat.shape[3] !== w || (out.length > 0 && lat.shape[0] !== out[0]!.shape[0])) {
      throw new Error(`VACE encoder: reference image ${i} gave latents [${lat.shape.join(', ')}], expected [C, 1, ${h}, ${w}] (C as the other latents)`);
    }
    out.push(lat);
  }
  return out;
}

function checkLatent(lat: F32Tensor, frames: F32Tensor, config: VaceContextConfig, strides: VaeStrides, stream: EncoderStream): F32Tensor {
  const want = [latentFrameCount(frames.shape[1]!, strides.temporal), config.height / strides.spatial, config.width / strides.spatial];
  if (lat.shape.length !== 4 || lat.shape[1] !== want[0] || lat.shape[2] !== want[1] || lat.shape[3] !== want[2]) {
    throw new Error(`VACE encoder: ${stream} stream gave latents [${lat.shape.join(', ')}], expected [C, ${want.join(', ')}]`);
  }
  return lat;
}

/** Copies src [Cs, Ts, h, w] into dst [C, T, h, w] at channel offset c0 and time offset t0. */
function copyInto(dst: F32Tensor, src: F32Tensor, c0: number, t0: number): void {
  const [cs, ts, h, w] = src.shape as [number, number, number, number];
  const [cd, td, hd, wd] = dst.shape as [number, number, number, number];
  if (h !== hd || w !== wd || c0 + cs > cd || t0 + ts > td) {
    throw new Error(`VACE context: cannot place [${src.shape.join(', ')}] at channel ${c0}, frame ${t0} of [${dst.shape.join(', ')}]`);
  }
  const plane = h * w;
  for (let c = 0; c < cs; c++) {
    const from = c * ts * plane;
    dst.data.set(src.data.subarray(from, from + ts * plane), ((c0 + c) * td + t0) * plane);
  }
}
