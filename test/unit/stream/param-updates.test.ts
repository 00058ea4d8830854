import { describe, expect, it } from 'vitest';
import type { ChunkGenerator } from '../../../src/pipeline/generator-types.ts';
import { ActiveResources } from '../../../src/stream/active-resources.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import { mergePatches, ParamStaging } from '../../../src/stream/param-staging.ts';
import { ParamUpdates, type UpdateResult } from '../../../src/stream/param-updates.ts';
import { DEFAULT_PARAMS, type SessionParamsPatch } from '../../../src/stream/params.ts';
import { ReferenceStore } from '../../../src/stream/reference-store.ts';
import { constantControl, deferred, FakeGenerator, recordingControls, settle, type Deferred } from '../../support/stream-stages.ts';

function setup(factory?: () => Promise<ChunkGenerator> | ChunkGenerator) {
  const created: string[] = [];
  const log: string[] = [];
  const staging = new ParamStaging(DEFAULT_PARAMS);
  const active = new ActiveResources(constantControl('passthrough', 0));
  const generators = new GeneratorRegistry();
  const sizes: { width: number; height: number }[] = [];
  if (factory) {
    generators.register({ id: 'g', title: 'g' }, (o) => {
      sizes.push({ width: o.width, height: o.height });
      return factory();
    });
  }
  const references = new ReferenceStore();
  let closed = false;
  let staged = 0;
  const updates = new ParamUpdates({
    staging,
    active,
    controls: recordingControls(created, log),
    generators,
    references,
    frameSize: () => ({ width: 64, height: 32 }),
    closed: () => closed,
    chunks: () => 5,
    onStaged: () => void staged++,
  });
  return { updates, staging, references, created, log, sizes, close: () => (closed = true), staged: () => staged };
}

/** A mixed burst: prompts, scales, seeds, and a control switch now and then. */
function burstPatch(i: number): SessionParamsPatch {
  switch (i % 4) {
    case 0:
      return { prompt: `prompt ${i}` };
    case 1:
      return { contextScale: (i % 200) / 100 };
    case 2:
      return { seed: i };
    default:
      return i % 100 === 3 ? { control: i % 200 === 3 ? 'ten' : 'twenty' } : { outpaint: { direction: 'left', amount: (i % 90) / 100 } };
  }
}

describe('ParamUpdates', () => {
  it('slerp with a three-part prompt is refused when it arrives, alone or across one batch (regression: accepted, then every chunk failed)', async () => {
    const { updates, staging } = setup();
    const three = 'a:1 | b:1 | c:1';
    expect(await updates.submit({ interpolation: 'slerp', prompt: three })).toEqual({ ok: false, error: expect.stringMatching(/slerp.*at most two weighted prompts.*has 3/) });
    expect((await updates.submit({ prompt: three })).ok).toBe(true);
    expect(await updates.submit({ interpolation: 'slerp' })).toMatchObject({ ok: false });
    expect(staging.target.interpolation).toBe('linear');
    // Two messages that pass one by one but clash once merged into the same batch.
    expect((await updates.submit({ prompt: 'a | b' })).ok).toBe(true);
    const blocker = updates.submit({ seed: 1 });
    const [slerp, back] = await Promise.all([updates.submit({ interpolation: 'slerp' }), updates.submit({ prompt: three }), blocker]);
    expect(slerp.ok && back.ok).toBe(false);
    expect(staging.target.prompt).toBe('a | b');
    expect((await updates.submit({ interpolation: 'slerp' })).ok).toBe(true);
  });

  it('a burst of 1000 updates while a generator is being built stays at two pending batches and ends in every patch applied in order', async () => {
    const building: Deferred<ChunkGenerator> = deferred();
    const { updates, staging, created, sizes } = setup(() => building.promise);
    const first = updates.submit({ mode: 'generate' });
    await settle();
    expect(sizes).toEqual([{ width: 64, height: 32 }]); // the generator is being built
    const patches = Array.from({ length: 1000 }, (_, i) => burstPatch(i));
    const answers: Promise<UpdateResult>[] = [];
    let most = 0;
    for (const p of patches) {
      answers.push(updates.submit(p));
      most = Math.max(most, updates.pendingBatches);
    }
    expect(most).toBe(2); // not 1000 chained operations
    building.resolve(new FakeGenerator());
    expect((await first).ok).toBe(true);
    const results = await Promise.all(answers);
    expect(results.every((r) => r.ok)).toBe(true);
    await updates.settled();
    expect(updates.pendingBatches).toBe(0);

    const expected = { ...DEFAULT_PARAMS, mode: 'generate', ...patches.reduce<SessionParamsPatch>((acc, p) => ({ ...acc, ...p }), {}) };
    expect(staging.target).toEqual(expected);
    expect(staging.staged?.patch).toEqual(mergePatches([{ mode: 'generate' }, ...patches]));
    // One generator for the whole burst, and one control: the burst's last control value only.
    expect(sizes).toHaveLength(1);
    expect(created).toEqual(['twenty']);
    expect(staging.staged?.control?.id).toBe('twenty');
    // Each message is answered with the parameters as of itself.
    const at = (n: number) => (results[n].ok ? results[n].params : undefined);
    expect(at(0)).toMatchObject({ prompt: 'prompt 0', mode: 'generate' });
    expect(at(999)).toEqual(expected);
    expect(results[500]).toMatchObject({ acceptedAtChunk: 5 });
  });

  it('answers an invalid message at once, alone, with what is wrong', async () => {
    const { updates, staging, created } = setup();
    const results = await Promise.all([
      updates.submit({ seed: -1 }),
      updates.submit({ control: 'nope' }),
      updates.submit({ referenceId: 'ref-9' }),
      updates.submit({ mode: 'generate' }),
      updates.submit({ prompt: 'kept' }),
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.split(':')[0]))).toEqual(['invalid parameters', "unknown control 'nope'; available", "unknown reference 'ref-9'", 'no model loaded', 'ok']);
    expect(staging.target.prompt).toBe('kept');
    expect(created).toEqual([]);
  });

  it('a batch whose generator cannot be built is refused whole and stages nothing', async () => {
    const { updates, staging, log } = setup(() => Promise.reject(new Error('weights missing')));
    const results = await Promise.all([updates.submit({ control: 'ten' }), updates.submit({ mode: 'generate' })]);
    expect(results).toEqual([
      { ok: false, error: 'weights missing' },
      { ok: false, error: 'weights missing' },
    ]);
    expect(staging.staged).toBeUndefined();
    expect(log).toEqual(['dispose ten']); // the control made for it is freed
  });

  it('stages an accepted message and wakes the driver; a replaced staged control is freed', async () => {
    const { updates, staging, log, staged } = setup();
    await updates.submit({ control: 'ten' });
    await updates.submit({ control: 'twenty' });
    expect(staged()).toBe(2);
    expect(staging.staged?.control?.id).toBe('twenty');
    expect(log).toEqual(['dispose ten']);
  });

  it('refuses updates once the session is closed, and frees what a batch made while it closed', async () => {
    const building: Deferred<ChunkGenerator> = deferred();
    const { updates, staging, close } = setup(() => building.promise);
    const pending = updates.submit({ mode: 'generate' });
    await settle();
    close();
    const gen = new FakeGenerator();
    building.resolve(gen);
    expect(await pending).toEqual({ ok: false, error: 'session is closed' });
    expect(gen.disposed).toBe(true);
    expect(staging.staged).toBeUndefined();
    expect(await updates.submit({ prompt: 'x' })).toEqual({ ok: false, error: 'session is closed' });
  });
});
