import { describe, expect, it } from 'vitest';
import { checkChunk, checkControlSpec } from '../../../controls/control-worker-protocol.ts';

const frames = (width: number, height: number, count: number) => ({ width, height, count, data: new Uint8Array(width * height * 3 * count) });

describe('checkControlSpec (the control worker’s init)', () => {
  it('passes a depth or scribble spec with a checkpoint path through unchanged', () => {
    const depth = { id: 'depth', options: { weightsPath: '/m/depth.pth', smoothing: 0.5, threads: 1 } };
    const scribble = { id: 'scribble', options: { weightsPath: '/m/scribble.safetensors' } };
    expect(checkControlSpec(depth)).toBe(depth);
    expect(checkControlSpec(scribble)).toBe(scribble);
  });

  it('refuses a control the worker does not run (it used to build a scribble control for any id)', () => {
    for (const id of ['gray', 'canny', '', 'Depth']) {
      expect(() => checkControlSpec({ id, options: { weightsPath: '/m/x.pth' } })).toThrow(`the control worker runs the depth and scribble annotators only, got id ${JSON.stringify(id)}`);
    }
    expect(() => checkControlSpec({ options: { weightsPath: '/m/x.pth' } })).toThrow('got id undefined');
  });

  it('refuses a spec without a checkpoint path, or no spec at all', () => {
    expect(() => checkControlSpec({ id: 'depth', options: {} })).toThrow('options.weightsPath must be the checkpoint path, got undefined');
    expect(() => checkControlSpec({ id: 'scribble', options: { weightsPath: 7 } })).toThrow('options.weightsPath must be the checkpoint path, got number');
    expect(() => checkControlSpec({ id: 'scribble' })).toThrow('got options undefined');
    expect(() => checkControlSpec(null)).toThrow('expected a control spec { id, options }, got null');
    expect(() => checkControlSpec('depth')).toThrow('got string');
  });
});

describe('checkChunk (a process call’s argument)', () => {
  it('passes frames of a consistent size and the reset flag', () => {
    const f = frames(4, 2, 3);
    expect(checkChunk({ frames: f, resetFirst: true })).toEqual({ frames: f, resetFirst: true });
    expect(checkChunk({ frames: frames(1, 1, 0), resetFirst: false }).frames.count).toBe(0);
  });

  it('refuses a malformed chunk with a clear error', () => {
    expect(() => checkChunk(null)).toThrow('process takes { frames, resetFirst }, got null');
    expect(() => checkChunk([frames(1, 1, 1)])).toThrow('process takes { frames, resetFirst }, got an array');
    expect(() => checkChunk({ frames: frames(1, 1, 1) })).toThrow('process: resetFirst must be a boolean, got undefined');
    expect(() => checkChunk({ frames: { width: 1, height: 1, count: 1, data: [0, 0, 0] }, resetFirst: false })).toThrow('process: frames must be RGB frames');
    expect(() => checkChunk({ frames: null, resetFirst: false })).toThrow('process: frames must be RGB frames');
  });

  it('refuses frames whose buffer, size or count do not add up', () => {
    expect(() => checkChunk({ frames: { ...frames(4, 2, 1), width: 3 }, resetFirst: false })).toThrow('frame buffer has 24 bytes, 1 RGB frames of 3×2 need 18');
    expect(() => checkChunk({ frames: { ...frames(4, 2, 1), width: 0, count: 1 }, resetFirst: false })).toThrow('invalid frame size 0×2');
    // 1.5 frames of 2×1 are 9 bytes: the byte count alone would let this through.
    expect(() => checkChunk({ frames: { width: 2, height: 1, count: 1.5, data: new Uint8Array(9) }, resetFirst: false })).toThrow('process: invalid frame count 1.5');
  });
});
