import { describe, expect, it } from 'vitest';
import { f32, type F32Tensor } from '../../../src/model/tensor.ts';
import { buildVaceContext, type VaceContextConfig, type VaceFrameEncoder } from '../../../src/pipeline/vace-context.ts';
import type { RgbImage } from '../../../src/pipeline/reference-images.ts';
import { StubVaeEncoder } from '../../support/stub-vae.ts';

const H = 16;
const W = 32;
const config: VaceContextConfig = { height: H, width: W, extensionFrames: 12 };

/** [C, F, H, W] with a distinct value per element in (−1, 1). */
function ramp(c: number, f: number, h = H, w = W): F32Tensor {
  const t = f32([c, f, h, w]);
  for (let i = 0; i < t.data.length; i++) t.data[i] = ((i % 997) / 997) * 1.8 - 0.9;
  return t;
}

function solidImage(r: number, g: number, b: number, w = W, h = H): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) data.set([r, g, b], i * 3);
  return { width: w, height: h, data };
}

/** Value at [c, t, y, x] of a CTHW tensor. */
function at(t: F32Tensor, c: number, f: number, y: number, x: number): number {
  const [, n, h, w] = t.shape as [number, number, number, number];
  return t.data[((c * n + f) * h + y) * w + x]!;
}

function channelRange(t: F32Tensor, c0: number, c1: number, f0: number, f1: number): number[] {
  const out: number[] = [];
  const [, , h, w] = t.shape as [number, number, number, number];
  for (let c = c0; c < c1; c++) for (let f = f0; f < f1; f++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.push(at(t, c, f, y, x));
  return out;
}

const calls = (stub: StubVaeEncoder) => stub.calls.map((c) => `${c.stream}:${c.useCache}:${c.frames.shape.join('x')}`);

describe('buildVaceContext', () => {
  it('text mode (no VACE input) gives null and never calls the encoder', async () => {
    const stub = new StubVaeEncoder();
    expect(await buildVaceContext({}, stub, config)).toBeNull();
    expect(stub.calls).toHaveLength(0);
  });

  it('conditioning without a mask: all-ones mask, inactive stream zeros, both caches used', async () => {
    const stub = new StubVaeEncoder();
    const frames = ramp(3, 12);
    const r = (await buildVaceContext({ frames }, stub, config))!;
    expect(r.mode.kind).toBe('conditioning');
    expect([...r.context.shape]).toEqual([96, 3, H / 8, W / 8]);
    expect(calls(stub)).toEqual(['inactive:true:3x12x16x32', 'reactive:true:3x12x16x32']);
    expect(stub.calls[0]!.frames.data.every((v) => v === 0)).toBe(true);
    expect([...stub.calls[1]!.frames.data]).toEqual([...frames.data]);
    expect(channelRange(r.context, 32, 96, 0, 3).every((v) => v === 1)).toBe(true);
    expect(r.referenceFrames).toBe(0);
  });

  it('1-channel control frames are repeated to 3', async () => {
    const stub = new StubVaeEncoder();
    const one = ramp(1, 12);
    await buildVaceContext({ frames: one }, stub, config);
    const reactive = stub.calls[1]!.frames;
    const plane = one.data.length;
    for (let c = 0; c < 3; c++) expect([...reactive.data.subarray(c * plane, (c + 1) * plane)]).toEqual([...one.data]);
  });

  it('mixed mask: strict > 0.5 split, raw mask in the mask channels, reactive encoded without cache', async () => {
    const stub = new StubVaeEncoder();
    const frames = ramp(3, 12);
    const mask = f32([1, 12, H, W], new Float32Array(12 * H * W).fill(1));
    mask.data[0] = 0.5; // frame 0, pixel (0, 0)
    mask.data[2 * H * W] = 0.3; // frame 2, pixel (0, 0): latent frame 0 samples pixel frame 2
    const r = (await buildVaceContext({ frames, mask }, stub, config))!;
    expect(r.mode.kind).toBe('inpainting');
    expect(calls(stub)).toEqual(['inactive:true:3x12x16x32', 'reactive:false:3x12x16x32']);
    const [inactive, reactive] = [stub.calls[0]!.frames, stub.calls[1]!.frames];
    expect(inactive.data[0]).toBe(frames.data[0]);
    expect(reactive.data[0]).toBe(0);
    expect(inactive.data[1]).toBe(0);
    expect(reactive.data[1]).toBe(frames.data[1]);
    // mask channel 0 (dy = dx = 0) at latent frame 0, latent pixel (0, 0) keeps the raw 0.3.
    expect(at(r.context, 32, 0, 0, 0)).toBeCloseTo(0.3, 6);
  });

  it('conditioning + refs: each reference encoded alone without cache and prepended with zero reactive and mask channels', async () => {
    const stub = new StubVaeEncoder();
    const refs = [solidImage(255, 0, 0), solidImage(0, 255, 0, 40, 40), solidImage(0, 0, 255, 64, 16)];
    const r = (await buildVaceContext({ frames: ramp(3, 12), references: refs }, stub, config))!;
    expect(r.mode.label).toBe('conditioning+refs');
    expect(r.referenceFrames).toBe(3);
    expect([...r.context.shape]).toEqual([96, 6, H / 8, W / 8]);
    expect(calls(stub)).toEqual(['inactive:true:3x12x16x32', 'reactive:true:3x12x16x32', 'reference:false:3x1x16x32', 'reference:false:3x1x16x32', 'reference:false:3x1x16x32']);
    expect(channelRange(r.context, 16, 96, 0, 3).every((v) => v === 0)).toBe(true);
    // The red reference's latent differs from the green one's: they were encoded separately.
    expect(at(r.context, 0, 0, 0, 0)).not.toBeCloseTo(at(r.context, 0, 1, 0, 0), 3);
    // Chunk frames follow the references: mask channels are ones there.
    expect(channelRange(r.context, 32, 96, 3, 6).every((v) => v === 1)).toBe(true);
  });

  it('reference only (R2V): latents in the first 16 channels, 80 zero channels, one frame per reference', async () => {
    const stub = new StubVaeEncoder();
    const r = (await buildVaceContext({ references: [solidImage(10, 20, 30), solidImage(200, 100, 0)] }, stub, config))!;
    expect(r.mode.kind).toBe('reference');
    expect([...r.context.shape]).toEqual([96, 2, H / 8, W / 8]);
    expect(calls(stub)).toEqual(['reference:false:3x1x16x32', 'reference:false:3x1x16x32']);
    expect(channelRange(r.context, 16, 96, 0, 2).every((v) => v === 0)).toBe(true);
    expect(channelRange(r.context, 0, 16, 0, 2).some((v) => v !== 0)).toBe(true);
  });

  it('extension (first frame): anchor over the first temporal group, mask 0 there and 1 elsewhere', async () => {
    const stub = new StubVaeEncoder();
    const r = (await buildVaceContext({ firstFrame: solidImage(255, 255, 255) }, stub, config))!;
    expect(r.mode.label).toBe('extension(first)');
    expect(calls(stub)).toEqual(['inactive:true:3x12x16x32', 'reactive:false:3x12x16x32']);
    const inactive = stub.calls[0]!.frames;
    const plane = H * W;
    expect([...inactive.data.subarray(0, 4 * plane)].every((v) => v === 1)).toBe(true);
    expect([...inactive.data.subarray(4 * plane, 12 * plane)].every((v) => v === 0)).toBe(true);
    // Latent frame 0 samples pixel frame 2 (an anchor frame): mask 0; latent frames 1, 2: mask 1.
    expect(channelRange(r.context, 32, 96, 0, 1).every((v) => v === 0)).toBe(true);
    expect(channelRange(r.context, 32, 96, 1, 3).every((v) => v === 1)).toBe(true);
  });

  it('extension length comes from the config, and first+last needs two temporal groups', async () => {
    const stub = new StubVaeEncoder();
    const r = (await buildVaceContext({ firstFrame: solidImage(1, 2, 3), lastFrame: solidImage(4, 5, 6) }, stub, { ...config, extensionFrames: 8 }))!;
    expect([...r.context.shape]).toEqual([96, 2, H / 8, W / 8]);
    expect(channelRange(r.context, 32, 96, 0, 2).every((v) => v === 0)).toBe(true);
    await expect(buildVaceContext({ firstFrame: solidImage(1, 2, 3), lastFrame: solidImage(4, 5, 6) }, stub, { ...config, extensionFrames: 6 })).rejects.toThrow(/need 8 frames/);
  });

  it('extension + conditioning: control frames padded with their last frame, anchor replaces the last group without a mask', async () => {
    const stub = new StubVaeEncoder();
    const frames = ramp(3, 6);
    const r = (await buildVaceContext({ frames, lastFrame: solidImage(255, 255, 255) }, stub, config))!;
    expect(r.mode.label).toBe('extension(last)+conditioning');
    const reactive = stub.calls[1]!.frames;
    const inactive = stub.calls[0]!.frames;
    const plane = H * W;
    // Frame 7 (padding, not an anchor) repeats control frame 5 in the reactive stream (mask 1 there).
    expect([...reactive.data.subarray(7 * plane, 8 * plane)]).toEqual([...frames.data.subarray(5 * plane, 6 * plane)]);
    // Frames 8..11 are the anchor, in the inactive stream (mask 0).
    expect([...inactive.data.subarray(8 * plane, 12 * plane)].every((v) => v === 1)).toBe(true);
  });

  it('extension + mask: the anchor is composited only where mask > 0.5 and the mask is zeroed on anchor frames', async () => {
    const stub = new StubVaeEncoder();
    const frames = ramp(3, 12);
    const mask = f32([1, 12, H, W], new Float32Array(12 * H * W).fill(1));
    mask.data[0] = 0; // frame 0, pixel 0 keeps the control frame
    const r = (await buildVaceContext({ frames, mask, firstFrame: solidImage(255, 255, 255) }, stub, config))!;
    const inactive = stub.calls[0]!.frames;
    expect(inactive.data[0]).toBe(frames.data[0]);
    expect(inactive.data[1]).toBe(1);
    expect(channelRange(r.context, 32, 96, 0, 1).every((v) => v === 0)).toBe(true);
  });

  it('first chunk of 13 frames: latent frames and mask sampling follow the input length', async () => {
    const stub = new StubVaeEncoder();
    const r = (await buildVaceContext({ frames: ramp(3, 13) }, stub, config))!;
    expect([...r.context.shape]).toEqual([96, 4, H / 8, W / 8]);
  });

  it('rejects bad inputs with messages that name what is wrong', async () => {
    const stub = new StubVaeEncoder();
    await expect(buildVaceContext({ frames: ramp(3, 12, 32, 32) }, stub, config)).rejects.toThrow(/32×32, the target resolution is 32×16/);
    await expect(buildVaceContext({ frames: ramp(2, 12) }, stub, config)).rejects.toThrow(/1 or 3 channels, got 2/);
    await expect(buildVaceContext({ frames: ramp(3, 12), mask: f32([1, 11, H, W]) }, stub, config)).rejects.toThrow(/mask must be \[1, 12, 16, 32\]/);
    await expect(buildVaceContext({ mask: f32([1, 12, H, W]) }, stub, config)).rejects.toThrow(/without control frames/);
    const four = Array.from({ length: 4 }, () => solidImage(0, 0, 0));
    await expect(buildVaceContext({ references: four }, stub, config)).rejects.toThrow(/4 reference images given, at most 3/);
    await expect(buildVaceContext({ references: [solidImage(0, 0, 0)] }, stub, { ...config, height: 24 })).rejects.toThrow(/multiples of 16/);
    await expect(buildVaceContext({ references: [{ width: 4, height: 4, data: new Uint8Array(5) }] }, stub, config)).rejects.toThrow(/reference image 0: 5 bytes/);
  });

  it('rejects encoder output of the wrong shape', async () => {
    const bad: VaceFrameEncoder = { encode: async () => f32([16, 2, H / 8, W / 8]) };
    await expect(buildVaceContext({ frames: ramp(3, 12) }, bad, config)).rejects.toThrow(/inactive stream gave latents \[16, 2, 2, 4\], expected \[C, 3, 2, 4\]/);
  });
});
