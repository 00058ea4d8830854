import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlSpec, ControlWorkerProtocol } from '../../../controls/control-worker-protocol.ts';
import { ScribbleControl } from '../../../controls/scribble.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import { WorkerClient } from '../../../src/model/runtime/worker-client.ts';
import { scribbleWeightShapes } from '../../../src/model/scribble/weight-shapes.ts';
import { writeRandomSafetensors } from '../../../src/model/weights/random.ts';

// The worker's entry driven at the message level, through the WorkerClient and entry URL that
// ThreadedControl uses, so arguments its typed wrapper never sends reach the worker.
const ENTRY = new URL('../../../controls/control-worker.ts', import.meta.url);
const TINY_SCRIBBLE = { widths: [4, 8, 16] as [number, number, number], residualBlocks: 1 };
const dir = mkdtempSync(join(tmpdir(), 'control-worker-'));
const weightsPath = join(dir, 'tiny-scribble.safetensors');
const start = (init: ControlSpec) => WorkerClient.start<ControlWorkerProtocol>({ entry: ENTRY, init, name: 'control worker' });
const rawProcess = (c: WorkerClient<ControlWorkerProtocol>, arg: unknown) => c.call('process', arg as never);

function frames(width: number, height: number, count: number, seed = 1): RgbFrames {
  const data = new Uint8Array(width * height * 3 * count);
  let s = seed;
  for (let i = 0; i < data.length; i++) data[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  return { width, height, count, data };
}

let client: WorkerClient<ControlWorkerProtocol>;
beforeAll(async () => {
  writeRandomSafetensors(weightsPath, scribbleWeightShapes(TINY_SCRIBBLE), 5);
  client = await start({ id: 'scribble', options: { weightsPath, threads: 1 } });
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('control-worker (an annotator on its own thread)', () => {
  it('reports the control it built', () => {
    expect(client.ready).toEqual({ id: 'scribble', needsWeights: true });
  });

  it('answers a process call with the frames the same control gives in this thread, moving the input buffer', async () => {
    const input = frames(16, 12, 2);
    const local = new ScribbleControl({ weightsPath, threads: 1 });
    try {
      const want = await local.process(input);
      const sent = input.data.slice();
      const got = await client.call('process', { frames: { ...input, data: sent }, resetFirst: false }, [sent.buffer]);
      expect(sent.byteLength).toBe(0); // moved to the worker
      expect({ width: got.frames.width, height: got.frames.height, count: got.frames.count }).toEqual({ width: 16, height: 12, count: 2 });
      expect(got.frames.data).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(got.frames.data).equals(Buffer.from(want.frames.data))).toBe(true);
      expect(got.mask).toBeUndefined();
    } finally {
      await local.dispose();
    }
  });

  it('rejects a malformed process call with a clear error and keeps serving', async () => {
    await expect(rawProcess(client, null)).rejects.toThrow('control worker: process takes { frames, resetFirst }, got null');
    await expect(rawProcess(client, { frames: { width: 4, height: 4, count: 1, data: new Uint8Array(5) }, resetFirst: false })).rejects.toThrow(
      'control worker: frame buffer has 5 bytes, 1 RGB frames of 4×4 need 48',
    );
    await expect(rawProcess(client, { frames: frames(4, 4, 1), resetFirst: 'yes' })).rejects.toThrow('control worker: process: resetFirst must be a boolean, got string');
    await expect(client.call('process', { frames: frames(8, 8, 1), resetFirst: true })).resolves.toMatchObject({ frames: { width: 8, height: 8, count: 1 } });
  });

  it('fails its start for a control it does not run, or a checkpoint that is not there', async () => {
    await expect(start({ id: 'gray', options: { weightsPath } } as unknown as ControlSpec)).rejects.toThrow('control worker: the control worker runs the depth and scribble annotators only, got id "gray"');
    await expect(start({ id: 'depth', options: { weightsPath: join(dir, 'nope.pth') } })).rejects.toThrow(/nope\.pth does not exist/);
  });

  it('answers the chunks sent before close, then stops', async () => {
    const c = await start({ id: 'scribble', options: { weightsPath, threads: 1 } });
    const pending = c.call('process', { frames: frames(8, 8, 1), resetFirst: false });
    const closed = c.close();
    await expect(pending).resolves.toMatchObject({ frames: { count: 1 } });
    await closed;
    await expect(c.call('process', { frames: frames(8, 8, 1), resetFirst: false })).rejects.toThrow(/after close/);
  });

  it('is a worker entry only: loaded on the main thread it refuses to start', async () => {
    await expect(import('../../../controls/control-worker.ts')).rejects.toThrow('serveWorker() must run on a worker thread');
  });
});
