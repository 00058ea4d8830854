import { describe, expect, it } from 'vitest';
import { parseTaeConfig, TAEW2_1 } from '../../../../src/model/tae/config.ts';
import { taeLayout, taeWeightShapes } from '../../../../src/model/tae/layout.ts';
import { randomWeights } from '../../../../src/model/weights/random.ts';
import { checkTaeWeights } from '../../../../src/model/tae/weights.ts';

describe('TAE config and layout', () => {
  it('taew2_1 has its MemBlocks at the upstream state-dict indices', () => {
    const l = taeLayout(TAEW2_1);
    expect(l.encoderMem.map((m) => m.index)).toEqual([4, 5, 6, 9, 10, 11, 14, 15, 16]);
    expect(l.decoderMem.map((m) => m.index)).toEqual([3, 4, 5, 9, 10, 11, 15, 16, 17]);
    expect(l.decoder.at(-1)).toMatchObject({ kind: 'conv', index: 22, cout: 3 });
  });

  it('taew2_1 has 11,315,539 parameters in 128 tensors (spec §1.3)', () => {
    const shapes = [...taeWeightShapes(TAEW2_1).values()];
    expect(shapes.length).toBe(128);
    expect(shapes.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0)).toBe(11_315_539);
  });

  it('MemBlock state resolutions follow the strides', () => {
    const l = taeLayout(TAEW2_1);
    expect(l.encoderMem.map((m) => m.space.den)).toEqual([2, 2, 2, 4, 4, 4, 8, 8, 8]);
    expect(l.encoderMem.map((m) => m.time.den)).toEqual([2, 2, 2, 4, 4, 4, 4, 4, 4]);
    expect(l.decoderMem.map((m) => m.space.num)).toEqual([1, 1, 1, 2, 2, 2, 4, 4, 4]);
    expect(l.decoderMem.map((m) => m.channels)).toEqual([256, 256, 256, 128, 128, 128, 64, 64, 64]);
  });

  it('rejects inconsistent configs, naming the field', () => {
    expect(() => parseTaeConfig({ ...TAEW2_1, temporal_downscale: 8 })).toThrow(/temporal_downscale 8/);
    expect(() => parseTaeConfig({ ...TAEW2_1, decoder_widths: [256, 128, 64] })).toThrow(/decoder_widths has 3 entries/);
    expect(() => parseTaeConfig({ ...TAEW2_1, latent_channels: 'x' })).toThrow(/latent_channels/);
    expect(() => parseTaeConfig({ ...TAEW2_1, patch_size: 2 })).toThrow(/patch_size 2/);
    expect(() => taeLayout(parseTaeConfig({ ...TAEW2_1, encoder_memblock_indices: [1, 2, 3] }))).toThrow(/encoder_memblock_indices/);
  });

  it('a checkpoint with a missing or mis-shaped key is rejected with the key and file named', () => {
    const good = randomWeights(taeWeightShapes(TAEW2_1), 0);
    expect(() => checkTaeWeights(TAEW2_1, good)).not.toThrow();
    const missing = { ...good, path: 'bad.pth', has: (k: string) => k !== 'decoder.8.weight' && good.has(k) };
    expect(() => checkTaeWeights(TAEW2_1, missing)).toThrow(/bad\.pth: .*missing "decoder\.8\.weight"/);
    const wrong = { ...good, path: 'bad.pth', shape: (k: string) => (k === 'encoder.0.weight' ? [64, 4, 3, 3] : good.shape(k)) };
    expect(() => checkTaeWeights(TAEW2_1, wrong)).toThrow(/"encoder\.0\.weight" is \[64, 4, 3, 3\], expected \[64, 3, 3, 3\]/);
  });
});
