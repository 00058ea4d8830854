/**
 * The TAE cache policy per VACE mode: which encoder caches each mode reads and writes, run
 * through the real mode inference, VACE context builder, adapter and cache routing, with a
 * recording fake in place of the TAE network.
 */
import { describe, expect, it } from 'vitest';
import { TaeStreamCache } from '../../../cache/tae-cache.ts';
import { TaeEncoderState } from '../../../src/model/tae/state.ts';
import { TaeVaceEncoder, type TaeCodec } from '../../../src/pipeline/tae-stream-vae.ts';
import { f32, type F32Tensor } from '../../../src/model/tensor.ts';
import { buildVaceContext, type VaceInputs } from '../../../src/pipeline/vace-context.ts';

const H = 32;
const W = 32;
const FRAMES = 12;
const config = { height: H, width: W, extensionFrames: FRAMES };
type CacheName = 'video' | 'inactive' | 'reactive';

/** Records, per encode call, which cache it got and whether that cache already held history. */
class RecordingCodec implements Pick<TaeCodec, 'encode'> {
  readonly read = new Set<CacheName>();
  readonly written = new Set<CacheName>();
  oneOff = 0;
  constructor(readonly caches: TaeStreamCache) {}

  #name(state: TaeEncoderState): CacheName {
    for (const n of ['video', 'inactive', 'reactive'] as const) if (this.caches[n] === state) return n;
    throw new Error('encode got a state that is not one of the session caches');
  }

  async encode(frames: F32Tensor, state?: TaeEncoderState): Promise<F32Tensor> {
    const [, n, h, w] = frames.shape as [number, number, number, number];
    if (state) {
      const name = this.#name(state);
      if (state.mem) this.read.add(name);
      state.mem = [f32([1, 1, 1, 1])];
      this.written.add(name);
    } else this.oneOff++;
    return f32([16, Math.ceil(n / 4), h / 8, w / 8]);
  }
}

const frames = () => f32([3, FRAMES, H, W], new Float32Array(3 * FRAMES * H * W).fill(0.25));
const image = () => ({ width: W, height: H, data: new Uint8Array(W * H * 3).fill(128) });
function mask(on: (x: number, y: number) => boolean): F32Tensor {
  const m = f32([1, FRAMES, H, W]);
  for (let f = 0; f < FRAMES; f++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) m.data[(f * H + y) * W + x] = on(x, y) ? 1 : 0;
  return m;
}

interface Row {
  name: string;
  /** The label mode inference gives these inputs. */
  mode: string;
  inputs: () => VaceInputs;
  /** Caches written on the first chunk and read (history) on the second. */
  caches: CacheName[];
  /** One-off encodes per chunk (mixed-mask reactive stream, references). */
  oneOffPerChunk: number;
}

const TABLE: Row[] = [
  { name: 'conditioning', mode: 'conditioning', inputs: () => ({ frames: frames() }), caches: ['inactive', 'reactive'], oneOffPerChunk: 0 },
  { name: 'conditioning with a reference', mode: 'conditioning+refs', inputs: () => ({ frames: frames(), references: [image()] }), caches: ['inactive', 'reactive'], oneOffPerChunk: 1 },
  { name: 'inpainting', mode: 'inpainting', inputs: () => ({ frames: frames(), mask: mask((x, y) => x > 8 && x < 24 && y > 8 && y < 24) }), caches: ['inactive'], oneOffPerChunk: 1 },
  { name: 'outpainting (mask marks the borders)', mode: 'inpainting', inputs: () => ({ frames: frames(), mask: mask((x) => x < 8 || x >= 24) }), caches: ['inactive'], oneOffPerChunk: 1 },
  { name: 'extension from a first frame', mode: 'extension(first)', inputs: () => ({ firstFrame: image() }), caches: ['inactive'], oneOffPerChunk: 1 },
  { name: 'extension to a last frame with control frames', mode: 'extension(last)+conditioning', inputs: () => ({ lastFrame: image(), frames: frames() }), caches: ['inactive'], oneOffPerChunk: 1 },
  { name: 'reference images only', mode: 'reference', inputs: () => ({ references: [image(), image()] }), caches: [], oneOffPerChunk: 2 },
];

describe('TAE cache policy per VACE mode', () => {
  for (const row of TABLE) {
    it(`${row.name}: reads and writes ${row.caches.join(' + ') || 'no cache'}`, async () => {
      const caches = new TaeStreamCache();
      const codec = new RecordingCodec(caches);
      const encoder = new TaeVaceEncoder(codec, caches);
      const first = await buildVaceContext(row.inputs(), encoder, config);
      expect(first?.mode.label).toBe(row.mode);
      expect([...codec.read]).toEqual([]); // fresh caches: nothing to read yet
      expect([...codec.written].sort()).toEqual([...row.caches].sort());
      await buildVaceContext(row.inputs(), encoder, config);
      expect([...codec.read].sort()).toEqual([...row.caches].sort());
      expect(codec.oneOff).toBe(2 * row.oneOffPerChunk);
      for (const n of ['video', 'inactive', 'reactive'] as const) expect(caches[n].fresh, `${n} cache`).toBe(!row.caches.includes(n));
    });
  }

  it('text mode encodes nothing', async () => {
    const caches = new TaeStreamCache();
    const codec = new RecordingCodec(caches);
    expect(await buildVaceContext({}, new TaeVaceEncoder(codec, caches), config)).toBeNull();
    expect(codec.written.size + codec.oneOff).toBe(0);
  });

  it('references are one-off even when a caller asks for the cache', async () => {
    const caches = new TaeStreamCache();
    expect(caches.vaceEncoderState('reference', true)).toBeUndefined();
    expect(caches.vaceEncoderState('reactive', false)).toBeUndefined();
    expect(caches.vaceEncoderState('inactive', true)).toBe(caches.inactive);
    expect(caches.vaceEncoderState('reactive', true)).toBe(caches.reactive);
  });

  it('reset() clears every cache and makes the decoder trim again', async () => {
    const caches = new TaeStreamCache();
    const codec = new RecordingCodec(caches);
    await buildVaceContext({ frames: frames() }, new TaeVaceEncoder(codec, caches), config);
    caches.video.mem = [f32([1])];
    caches.decoder.mem = [f32([1])];
    caches.decoder.framesOut = 13;
    caches.reset();
    for (const n of ['video', 'inactive', 'reactive'] as const) expect(caches[n].fresh).toBe(true);
    expect(caches.decoder.fresh).toBe(true);
    expect(caches.decoder.framesOut).toBe(0);
  });
});
