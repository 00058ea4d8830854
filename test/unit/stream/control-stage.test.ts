import { describe, expect, it } from 'vitest';
import type { Control } from '../../../controls/types.ts';
import { ChunkIntake, type CameraChunk } from '../../../src/stream/chunk-intake.ts';
import { ControlStage, type PreparedChunk } from '../../../src/stream/control-stage.ts';
import { DEFAULT_PARAMS } from '../../../src/stream/params.ts';
import { isStageFailure } from '../../../src/stream/stage.ts';
import { constantControl, FakeGenerator, rgb } from '../../support/stream-stages.ts';

function camera(width: number, height: number, count: number): CameraChunk {
  const intake = new ChunkIntake(32);
  for (let i = 0; i < count; i++) intake.processInput({ frame: rgb(width, height, i), capturedAt: i });
  return intake.processInput({ take: count })[0];
}

const clock = (...times: number[]) => () => times.shift() ?? -1;

describe('ControlStage', () => {
  it('runs the control on the camera frames in preview mode and records the start time and parameters', async () => {
    const stage = new ControlStage(clock(42));
    const cam = camera(4, 2, 2);
    const out = (await stage.processInput({ camera: cam, params: DEFAULT_PARAMS, control: constantControl('ten', 10) })) as PreparedChunk;
    expect(out.frames).toBe(cam.frames);
    expect(out.control.frames.data.every((v) => v === 10)).toBe(true);
    expect(out).toMatchObject({ camera: cam, params: DEFAULT_PARAMS, controlId: 'ten', started: 42, mask: undefined });
  });

  it('fits the chunk to the generator in generate mode, before the control sees it', async () => {
    const seen: number[][] = [];
    const control: Control = { ...constantControl('ten', 10), process: (f) => (seen.push([f.width, f.height, f.count]), { frames: f }) };
    const params = { ...DEFAULT_PARAMS, mode: 'generate' as const };
    const out = (await new ControlStage(clock(0)).processInput({ camera: camera(4, 2, 3), params, control, generator: new FakeGenerator('g', { width: 2, height: 2 }) })) as PreparedChunk;
    expect(seen).toEqual([[2, 2, 3]]);
    expect(out.frames).toMatchObject({ width: 2, height: 2, count: 3 });
  });

  it("builds the session's rectangle mask unless the control brings its own", async () => {
    const params = { ...DEFAULT_PARAMS, mask: { x: 0, y: 0, width: 0.5, height: 1 } };
    const out = (await new ControlStage(clock(0)).processInput({ camera: camera(4, 1, 1), params, control: constantControl('ten', 10) })) as PreparedChunk;
    expect(Array.from(out.mask!.data)).toEqual([1, 1, 0, 0]);
    const own = { width: 4, height: 1, count: 1, data: new Float32Array(4).fill(0.5) };
    const masking: Control = { ...constantControl('m', 0), process: (f) => ({ frames: f, mask: own }) };
    const withOwn = (await new ControlStage(clock(0)).processInput({ camera: camera(4, 1, 1), params, control: masking })) as PreparedChunk;
    expect(withOwn.mask).toBe(own);
  });

  it('turns a throwing control into a failure that travels on', async () => {
    const broken: Control = { ...constantControl('depth', 0), process: () => Promise.reject(new Error('no weights')) };
    const out = await new ControlStage(clock(0)).processInput({ camera: camera(1, 1, 1), params: DEFAULT_PARAMS, control: broken });
    expect(isStageFailure(out)).toBe(true);
    expect(out).toMatchObject({ failed: 'control', controlId: 'depth', params: DEFAULT_PARAMS, error: new Error('no weights') });
  });
});

describe('ControlStage with the outpaint parameter', () => {
  it('runs the control through outpainting, whose mask wins over the rectangle', async () => {
    const params = { ...DEFAULT_PARAMS, mask: { x: 0, y: 0, width: 1, height: 1 }, outpaint: { direction: 'right' as const, amount: 0.25 } };
    const passthrough: Control = { id: 'passthrough', needsWeights: false, process: (f) => ({ frames: f }), reset: () => {} };
    const out = (await new ControlStage(clock(0)).processInput({ camera: camera(4, 1, 2), params, control: passthrough })) as PreparedChunk;
    expect(out.controlId).toBe('passthrough');
    expect(out.control.frames).toMatchObject({ width: 4, height: 1, count: 2 });
    expect(Array.from(out.mask!.data)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    expect(out.control.frames.data[3 * 3]).toBe(127);
  });
});
