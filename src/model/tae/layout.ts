/**
 * The TAEHV module lists (`encoder.i` / `decoder.i` state-dict prefixes) derived from a config,
 * with each module's weight shapes and each MemBlock's resolution (which is also the shape of
 * its streaming state). One place decides the architecture; graphs.ts only wires it.
 */
import { MEMBLOCKS_PER_STAGE, type TaeConfig } from './config.ts';

export type TaeModule =
  /** 3×3 conv, padding 1. */
  | { kind: 'conv'; index: number; cin: number; cout: number; stride: number; bias: boolean }
  | { kind: 'relu'; index: number }
  /** 3·tanh(x/3) (decoder input). */
  | { kind: 'clamp'; index: number }
  /** s consecutive frames concatenated along channels, then a 1×1 conv sC→C without bias. */
  | { kind: 'tpool'; index: number; channels: number; stride: number }
  /** 1×1 conv C→sC without bias, then each frame split into s frames. */
  | { kind: 'tgrow'; index: number; channels: number; stride: number }
  /** Nearest-neighbour upsample by `scale` (1 = identity). */
  | { kind: 'upsample'; index: number; scale: number }
  /** Memory block: state = its own input one time step earlier. `slot` numbers the MemBlocks in order. */
  | { kind: 'mem'; index: number; channels: number; slot: number; space: Resolution; time: Resolution };

/** A size relative to the model input: size · num / den. */
export interface Resolution {
  readonly num: number;
  readonly den: number;
}

export interface TaeLayout {
  readonly encoder: readonly TaeModule[];
  readonly decoder: readonly TaeModule[];
  readonly encoderMem: readonly Extract<TaeModule, { kind: 'mem' }>[];
  readonly decoderMem: readonly Extract<TaeModule, { kind: 'mem' }>[];
}

function memOf(mods: readonly TaeModule[]): Extract<TaeModule, { kind: 'mem' }>[] {
  return mods.filter((m): m is Extract<TaeModule, { kind: 'mem' }> => m.kind === 'mem');
}

/** Encoder: conv, ReLU, then per stage [TPool, stride-2 conv, MemBlock ×3], then conv to latents. */
function encoderModules(cfg: TaeConfig): TaeModule[] {
  const w = cfg.encoder_width;
  const mods: TaeModule[] = [];
  let i = 0;
  let slot = 0;
  let spaceDen = 1;
  let timeDen = 1;
  mods.push({ kind: 'conv', index: i++, cin: cfg.image_channels * cfg.patch_size ** 2, cout: w, stride: 1, bias: true });
  mods.push({ kind: 'relu', index: i++ });
  for (const s of cfg.encoder_tpool_strides) {
    mods.push({ kind: 'tpool', index: i++, channels: w, stride: s });
    timeDen *= s;
    mods.push({ kind: 'conv', index: i++, cin: w, cout: w, stride: 2, bias: false });
    spaceDen *= 2;
    for (let k = 0; k < MEMBLOCKS_PER_STAGE; k++) {
      mods.push({ kind: 'mem', index: i++, channels: w, slot: slot++, space: { num: 1, den: spaceDen }, time: { num: 1, den: timeDen } });
    }
  }
  mods.push({ kind: 'conv', index: i++, cin: w, cout: cfg.latent_channels, stride: 1, bias: true });
  return mods;
}

/**
 * Decoder: Clamp, conv, ReLU, then per stage [MemBlock ×3, Upsample, TGrow, conv (no bias)],
 * then ReLU and conv to pixels. Resolutions are relative to the latent grid.
 */
function decoderModules(cfg: TaeConfig): TaeModule[] {
  const nf = cfg.decoder_widths;
  const mods: TaeModule[] = [];
  let i = 0;
  let slot = 0;
  let spaceNum = 1;
  let timeNum = 1;
  mods.push({ kind: 'clamp', index: i++ });
  mods.push({ kind: 'conv', index: i++, cin: cfg.latent_channels, cout: nf[0]!, stride: 1, bias: true });
  mods.push({ kind: 'relu', index: i++ });
  cfg.decoder_tgrow_strides.forEach((s, stage) => {
    const c = nf[stage]!;
    for (let k = 0; k < MEMBLOCKS_PER_STAGE; k++) {
      mods.push({ kind: 'mem', index: i++, channels: c, slot: slot++, space: { num: spaceNum, den: 1 }, time: { num: timeNum, den: 1 } });
    }
    const scale = cfg.decoder_space_upscale[stage] ? 2 : 1;
    mods.push({ kind: 'upsample', index: i++, scale });
    spaceNum *= scale;
    mods.push({ kind: 'tgrow', index: i++, channels: c, stride: s });
    timeNum *= s;
    mods.push({ kind: 'conv', index: i++, cin: c, cout: nf[stage + 1]!, stride: 1, bias: false });
  });
  mods.push({ kind: 'relu', index: i++ });
  mods.push({ kind: 'conv', index: i++, cin: nf[nf.length - 1]!, cout: cfg.image_channels * cfg.patch_size ** 2, stride: 1, bias: true });
  return mods;
}

function checkIndices(what: string, derived: readonly number[], given: readonly number[] | undefined): void {
  if (given && (given.length !== derived.length || given.some((v, k) => v !== derived[k]))) {
    throw new Error(`TAE config: ${what}_memblock_indices [${given.join(', ')}] do not match the TAEHV layout [${derived.join(', ')}]`);
  }
}

export function taeLayout(cfg: TaeConfig): TaeLayout {
  const encoder = encoderModules(cfg);
  const decoder = decoderModules(cfg);
  const encoderMem = memOf(encoder);
  const decoderMem = memOf(decoder);
  checkIndices('encoder', encoderMem.map((m) => m.index), cfg.encoder_memblock_indices);
  checkIndices('decoder', decoderMem.map((m) => m.index), cfg.decoder_memblock_indices);
  return { encoder, decoder, encoderMem, decoderMem };
}

/** Every weight the layout needs, key → PyTorch shape (Conv2d [out, in, kh, kw]). */
export function taeWeightShapes(cfg: TaeConfig): Map<string, number[]> {
  const { encoder, decoder } = taeLayout(cfg);
  const shapes = new Map<string, number[]>();
  const add = (prefix: string, mods: readonly TaeModule[]) => {
    for (const m of mods) {
      const p = `${prefix}.${m.index}`;
      if (m.kind === 'conv') {
        shapes.set(`${p}.weight`, [m.cout, m.cin, 3, 3]);
        if (m.bias) shapes.set(`${p}.bias`, [m.cout]);
      } else if (m.kind === 'tpool') shapes.set(`${p}.conv.weight`, [m.channels, m.channels * m.stride, 1, 1]);
      else if (m.kind === 'tgrow') shapes.set(`${p}.conv.weight`, [m.channels * m.stride, m.channels, 1, 1]);
      else if (m.kind === 'mem') {
        const c = m.channels;
        shapes.set(`${p}.conv.0.weight`, [c, 2 * c, 3, 3]);
        shapes.set(`${p}.conv.0.bias`, [c]);
        for (const k of [2, 4]) {
          shapes.set(`${p}.conv.${k}.weight`, [c, c, 3, 3]);
          shapes.set(`${p}.conv.${k}.bias`, [c]);
        }
      }
    }
  };
  add('encoder', encoder);
  add('decoder', decoder);
  return shapes;
}

/** Size of a MemBlock's state for model input size (pixels for the encoder, latent cells for the decoder). */
export function scaled(size: number, r: Resolution, what: string): number {
  const v = (size * r.num) / r.den;
  if (!Number.isInteger(v)) throw new Error(`TAE: ${what} ${size} does not divide by ${r.den}`);
  return v;
}
