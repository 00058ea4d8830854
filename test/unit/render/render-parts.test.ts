/** The render command's pure parts: chunking, control flags, argument checks, stats, progress, frame rates. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRenderArgs } from '../../../src/cli/render.ts';
import { DEFAULT_PARAMS } from '../../../src/stream/params.ts';
import { createControl } from '../../../controls/registry.ts';
import { FrameChunker, framesToKeep } from '../../../src/stream/chunker.ts';
import { controlSpecFor, parseOutpaint, parseRenderControl } from '../../../src/render/control-spec.ts';
import { formatFrameRate, parseFrameRate } from '../../../src/render/probe.ts';
import { formatRenderProgress, RenderProgressBar } from '../../../src/render/progress.ts';
import { median, quantile } from '../../../src/render/stats.ts';
import { coverCropFilter } from '../../../src/render/video-reader.ts';
import { fitMaskPng } from '../../../src/render/mask-fit.ts';
import { decodePaintedMask } from '../../../controls/masks/painted.ts';
import sharp from 'sharp';
import { captureIO } from '../../support/cli-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-render-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'in.mp4');
writeFileSync(input, 'x');

const frame = (w: number, h: number, v: number) => new Uint8Array(w * h * 3).fill(v);

describe('FrameChunker', () => {
  it('emits full chunks of the generator\'s size and pads the last one with its last frame', () => {
    const sizes = [3, 2];
    const c = new FrameChunker(2, 1, () => sizes.shift() ?? 2);
    const out = [1, 2, 3, 4, 5, 6].map((v) => c.push(frame(2, 1, v)));
    expect(out.map((x) => x?.frames.count ?? null)).toEqual([null, null, 3, null, 2, null]);
    expect(Array.from(out[2]!.frames.data)).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]);
    expect(out[4]!.firstFrame).toBe(3);
    const last = c.flush()!;
    expect(last.padding).toBe(1);
    expect(last.firstFrame).toBe(5);
    expect(Array.from(last.frames.data)).toEqual(new Array(12).fill(6));
    expect(c.flush()).toBeNull();
  });

  it('rejects frames of the wrong size', () => {
    expect(() => new FrameChunker(4, 4, () => 2).push(frame(2, 2, 0))).toThrow('frame has 12 bytes, 4×4 RGB needs 48');
  });

  it('framesToKeep drops the padding outputs at the end', () => {
    expect(framesToKeep(12, 4)).toBe(8);
    expect(framesToKeep(9, 0)).toBe(9);
    expect(framesToKeep(9, 11)).toBe(0);
  });
});

describe('render control flags', () => {
  it('--outpaint takes side=ratio pairs with one ratio', () => {
    expect(parseOutpaint('left=0.25,right=0.25')).toEqual({ directions: ['left', 'right'], ratio: 0.25 });
    expect(parseOutpaint('up,down=0.5')).toEqual({ directions: ['up', 'down'], ratio: 0.5 });
    expect(() => parseOutpaint('left=0.2,right=0.3')).toThrow(/one ratio applies to every expanded side/);
    expect(() => parseOutpaint('middle=0.2')).toThrow(/"middle=0.2" is not side=ratio/);
    expect(() => parseOutpaint('left=abc')).toThrow(/ratio for left must be a number/);
    expect(() => parseOutpaint('left')).toThrow(/give a ratio/);
  });

  it('--control accepts the frame-only controls and names them otherwise', () => {
    expect(parseRenderControl('gray')).toBe('gray');
    expect(() => parseRenderControl('inpaint')).toThrow(/unknown control "inpaint" \(choose depth, scribble, gray, edges, passthrough/);
  });

  it('builds registry specs the registry accepts: plain, mask + control, outpaint alone', async () => {
    expect(controlSpecFor({})).toBeUndefined();
    expect(controlSpecFor({ control: 'edges' })).toEqual({ id: 'edges' });
    const png = new Uint8Array(await (await import('sharp')).default({ create: { width: 8, height: 8, channels: 3, background: '#fff' } }).png().toBuffer());
    const masked = controlSpecFor({ control: 'gray', maskPng: png })!;
    expect(masked).toEqual({ id: 'compose', options: { control: { id: 'gray' }, inpaint: { mask: { kind: 'painted', png } } } });
    const out = controlSpecFor({ outpaint: { directions: ['left'], ratio: 0.25 } })!;
    for (const spec of [masked, out]) expect(createControl(spec.id, spec.options).id).toBe('compose');
    const res = await createControl(out.id, out.options).process({ width: 16, height: 16, count: 1, data: new Uint8Array(16 * 16 * 3).fill(200) });
    expect(res.mask).toBeDefined();
    expect(() => controlSpecFor({ maskPng: png, outpaint: { directions: ['left'], ratio: 0.25 } })).toThrow(/cannot be combined/);
  });
});

describe('parseRenderArgs', () => {
  const base = ['--input', input, '--prompt', 'p', '--out', join(dir, 'o.mp4')];
  it('defaults: demo preset, seed 42, context scale 1, V2V only when nothing else conditions the video', () => {
    const o = parseRenderArgs(base);
    if (o === 'help') throw new Error('unexpected help');
    expect(o.model.preset).toBe('demo');
    expect(o.params).toEqual({ prompt: 'p', seed: 42, contextScale: 1, noiseScale: DEFAULT_PARAMS.noiseScale });
    const withControl = parseRenderArgs([...base, '--control', 'gray', '--seed', '7', '--context-scale', '0.5']);
    if (withControl === 'help') throw new Error('unexpected help');
    expect(withControl.params).toEqual({ prompt: 'p', seed: 7, contextScale: 0.5, noiseScale: undefined });
    expect(withControl.control).toEqual({ id: 'gray' });
  });

  it('takes the session schema\'s ranges (regression: --context-scale took [0, 4], --noise-scale 0.05 that V2V rejects)', () => {
    expect(() => parseRenderArgs([...base, '--context-scale', '3'])).toThrow('--context-scale must be a number in [0, 2], got "3"');
    expect(() => parseRenderArgs([...base, '--noise-scale', '0.05'])).toThrow('--noise-scale must be a number in [0.15, 1] (fraction of full noise), got "0.05"');
    expect(() => parseRenderArgs([...base, '--seed', String(2 ** 32)])).toThrow('--seed must be an integer in [0, 4294967295]');
    expect(() => parseRenderArgs([...base.slice(0, 2), '--prompt', 'a:0 | b:0', ...base.slice(4)])).toThrow(/--prompt: prompt: .*sum to 0/);
    const edge = parseRenderArgs([...base, '--context-scale', '2', '--noise-scale', '0.15', '--seed', '4294967295']);
    if (edge === 'help') throw new Error('unexpected help');
    expect(edge.params).toMatchObject({ contextScale: 2, noiseScale: 0.15, seed: 4294967295 });
  });

  it('names the flag that is wrong', () => {
    expect(() => parseRenderArgs(['--input', input, '--out', 'o.mp4'])).toThrow('--prompt is required');
    expect(() => parseRenderArgs([...base, '--seed=-1'])).toThrow('--seed must be an integer in [0, 4294967295], got "-1"');
    expect(() => parseRenderArgs([...base, '--noise-scale', '2'])).toThrow('--noise-scale must be a number in [0.15, 1]');
    expect(() => parseRenderArgs([...base, '--ref', join(dir, 'missing.png')])).toThrow(`--ref: file not found: ${join(dir, 'missing.png')}`);
    expect(() => parseRenderArgs([...base, '--ref', input, '--ref', input, '--ref', input, '--ref', input])).toThrow('at most 3 reference images');
    expect(() => parseRenderArgs([...base, '--device', 'tpu'])).toThrow(/--device must be one of/);
    expect(() => parseRenderArgs(['--input', input, '--prompt', 'p', '--out', input])).toThrow('--out must not be the input file');
    expect(() => parseRenderArgs([...base.slice(0, 4), '--out', join(dir, 'no', 'such', 'o.mp4')])).toThrow('--out: folder does not exist');
  });
});

describe('render helpers', () => {
  it('quantiles interpolate like numpy', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7);
    expect(median([])).toBeNaN();
  });

  it('frame rates parse from ffprobe fractions', () => {
    expect(parseFrameRate('30000/1001')).toEqual({ num: 30000, den: 1001 });
    expect(parseFrameRate('12')).toEqual({ num: 12, den: 1 });
    expect(parseFrameRate('0/0')).toBeNull();
    expect(formatFrameRate({ num: 30000, den: 1001 })).toBe('29.970');
  });

  it('a painted mask gets the video\'s cover + centre-crop fit, not a stretch', async () => {
    // 320×240 mask, white on the leftmost 40 columns: the cover crop to 256×256 cuts ~43 source columns per side.
    const raw = Buffer.alloc(320 * 240);
    for (let y = 0; y < 240; y++) raw.fill(255, y * 320, y * 320 + 40);
    const png = new Uint8Array(await sharp(raw, { raw: { width: 320, height: 240, channels: 1 } }).png().toBuffer());
    const fitted = await decodePaintedMask(await fitMaskPng(png, 256, 256), 256, 256);
    const stretched = await decodePaintedMask(png, 256, 256);
    const leftMean = (m: Float32Array) => {
      let s = 0;
      for (let y = 0; y < 256; y++) for (let x = 0; x < 20; x++) s += m[y * 256 + x]!;
      return s / (256 * 20);
    };
    expect(leftMean(stretched)).toBeGreaterThan(0.9);
    expect(leftMean(fitted)).toBeLessThan(0.05);
    await expect(fitMaskPng(new Uint8Array([1, 2, 3]), 8, 8)).rejects.toThrow('mask PNG could not be decoded');
  });

  it('the decoder scales to cover and crops the centre', () => {
    expect(coverCropFilter(256, 256)).toBe('scale=256:256:force_original_aspect_ratio=increase,crop=256:256');
  });

  it('progress shows frames done / total and fps; off a TTY it logs sparsely and the last state once', () => {
    const s = { framesDone: 12, framesTotal: 24, framesOut: 9, chunksDone: 1, elapsedSeconds: 3 };
    expect(formatRenderProgress(s, 10)).toBe('render [#####-----]  50%  12/24 frames  3.0 fps  1 chunk');
    expect(formatRenderProgress({ ...s, framesTotal: null })).toBe('render 12/? frames  3.0 fps  1 chunk');
    const io = captureIO();
    const bar = new RenderProgressBar(io.stderr, { intervalMs: 1000 });
    bar.update(s, 0);
    bar.update({ ...s, framesDone: 24, chunksDone: 2 }, 10);
    expect(io.err().split('\n').filter(Boolean)).toHaveLength(1);
    bar.finish();
    expect(io.err().trim().split('\n').pop()).toMatch(/24\/24 frames .* 2 chunks$/);
  });
});
