import { describe, expect, it } from 'vitest';
import type { ChunkInput } from '../../../src/pipeline/generator-types.ts';
import type { PreparedChunk } from '../../../src/stream/control-stage.ts';
import { generateChunk, previewChunk, type ChunkResult } from '../../../src/stream/generate-stage.ts';
import { DEFAULT_PARAMS } from '../../../src/stream/params.ts';
import { FakeGenerator, rgb, timedFrames } from '../../support/stream-stages.ts';

function prepared(controlId: string, withMask: boolean): PreparedChunk {
  const frames = rgb(2, 1, 100, 2);
  const mask = withMask ? { width: 2, height: 1, count: 2, data: new Float32Array([1, 0, 1, 0]) } : undefined;
  return {
    camera: { batch: timedFrames(2), frames },
    frames,
    control: { frames: rgb(2, 1, 200, 2) },
    mask,
    params: { ...DEFAULT_PARAMS, mode: 'generate', prompt: 'p', noiseScale: null },
    controlId,
    started: 7,
  };
}

describe('generateChunk', () => {
  it('passthrough without a mask means no VACE control; the parameters and the reference go to the generator', async () => {
    const gen = new FakeGenerator();
    const reference = { width: 1, height: 1, data: new Uint8Array(3) };
    const p = prepared('passthrough', false);
    const out = (await generateChunk({ prepared: p, generator: gen, reference })) as ChunkResult;
    const input: ChunkInput = gen.inputs[0];
    expect(input.control).toBeUndefined();
    expect(input.frames).toBe(p.frames);
    expect(input.references?.[0]).toBe(reference);
    expect(input.params).toEqual({ prompt: 'p', seed: 42, contextScale: 1, noiseScale: undefined, steps: [1000, 750, 500, 250], interpolation: 'linear', transitionChunks: 4 });
    expect(out).toMatchObject({ frames: p.frames, batch: p.camera.batch, mode: 'generate', started: 7 });
  });

  it('a real control, or a mask alone, becomes the VACE control', async () => {
    const gen = new FakeGenerator();
    await generateChunk({ prepared: prepared('ten', false), generator: gen });
    await generateChunk({ prepared: prepared('passthrough', true), generator: gen });
    expect(gen.inputs[0].control?.frames.data[0]).toBe(200);
    expect(gen.inputs[1].control?.mask?.data[0]).toBe(1);
    expect(gen.inputs[1].references).toBeUndefined();
  });

  it('turns a throwing generator into a failure', async () => {
    const gen = new FakeGenerator();
    gen.generate = () => Promise.reject(new Error('boom'));
    expect(await generateChunk({ prepared: prepared('ten', false), generator: gen })).toMatchObject({ failed: 'generation', error: new Error('boom') });
  });
});

describe('previewChunk', () => {
  it('shows the control output, halved outside the mask', () => {
    const out = previewChunk(prepared('ten', true));
    expect(Array.from(out.frames.data.filter((_, i) => i % 3 === 0))).toEqual([200, 100, 200, 100]);
    expect(previewChunk(prepared('ten', false)).frames.data.every((v) => v === 200)).toBe(true);
  });
});
