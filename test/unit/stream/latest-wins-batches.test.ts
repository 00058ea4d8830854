import { describe, expect, it } from 'vitest';
import { LatestWinsBatches } from '../../../src/stream/latest-wins-batches.ts';
import { deferred, settle, type Deferred } from '../../support/stream-stages.ts';

describe('LatestWinsBatches', () => {
  it('runs a burst as at most two batches: the one running and one that collects everything after it', async () => {
    const runs: number[][] = [];
    const gates: Deferred<void>[] = [];
    const batches = new LatestWinsBatches<number, string>(async (inputs) => {
      runs.push([...inputs]);
      const gate = deferred<void>();
      gates.push(gate);
      await gate.promise;
      return inputs.map((i) => `done ${i}`);
    });
    const first = batches.submit(0);
    await settle();
    expect(runs).toEqual([[0]]);
    const burst: Promise<string>[] = [];
    let most = 0;
    for (let i = 1; i <= 1000; i++) {
      burst.push(batches.submit(i));
      most = Math.max(most, batches.pendingBatches);
    }
    expect(most).toBe(2);
    expect(batches.waitingInputs).toBe(1000);
    gates[0].resolve();
    expect(await first).toBe('done 0');
    await settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(batches.pendingBatches).toBe(1);
    gates[1].resolve();
    expect((await Promise.all(burst)).slice(-2)).toEqual(['done 999', 'done 1000']);
    await batches.settled();
    expect(batches.pendingBatches).toBe(0);
  });

  it('inputs submitted in one synchronous burst with nothing running form one batch', async () => {
    const runs: number[][] = [];
    const batches = new LatestWinsBatches<number, number>(async (inputs) => (runs.push([...inputs]), inputs.map((i) => i * 2)));
    const outs = await Promise.all([1, 2, 3].map((i) => batches.submit(i)));
    expect(outs).toEqual([2, 4, 6]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('a failing batch rejects its own inputs only; the next batch still runs', async () => {
    let calls = 0;
    const batches = new LatestWinsBatches<string, string>(async (inputs) => {
      if (calls++ === 0) throw new Error('broken');
      return inputs.map((s) => s.toUpperCase());
    });
    const a = batches.submit('a');
    await expect(a).rejects.toThrow('broken');
    expect(await batches.submit('b')).toBe('B');
  });
});
