/** The session pipeline's parameter path end to end, driven by deterministic promises (no timers). */
import { describe, expect, it } from 'vitest';
import type { ChunkGenerator } from '../../../src/pipeline/generator-types.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import { DEFAULT_PARAMS, type SessionParamsPatch } from '../../../src/stream/params.ts';
import { SessionPipeline, type SessionEvent } from '../../../src/stream/session-pipeline.ts';
import { deferred, FakeGenerator, recordingControls, rgb, settle } from '../../support/stream-stages.ts';

describe('SessionPipeline parameter updates', () => {
  it('a burst of 1000 updates during a generator build is applied as its patches in order, with one generator and one control made', async () => {
    const building = deferred<ChunkGenerator>();
    let factoryCalls = 0;
    const registry = new GeneratorRegistry();
    registry.register({ id: 'g', title: 'g' }, () => (factoryCalls++, building.promise));
    const created: string[] = [];
    const p = new SessionPipeline({ controls: recordingControls(created), generators: registry, now: () => 0 });
    const applied: SessionEvent[] = [];
    p.events$.subscribe((e) => e.type === 'applied' && applied.push(e));

    const first = p.updateParams({ mode: 'generate' });
    await settle();
    const patches: SessionParamsPatch[] = Array.from({ length: 1000 }, (_, i) =>
      i % 250 === 0 ? { control: i % 500 === 0 ? 'twenty' : 'ten' } : i % 2 ? { prompt: `p${i}` } : { seed: i },
    );
    const answers = patches.map((patch) => p.updateParams(patch));
    building.resolve(new FakeGenerator());
    expect((await first).ok).toBe(true);
    expect((await Promise.all(answers)).every((r) => r.ok)).toBe(true);
    await settle();

    const expected = { ...DEFAULT_PARAMS, mode: 'generate', ...Object.assign({}, ...patches) };
    expect(p.params).toEqual(expected);
    expect(factoryCalls).toBe(1);
    expect(created).toEqual(['passthrough', 'ten']); // the initial control, then the burst's last control only
    expect(p.stats()).toMatchObject({ mode: 'generate', control: 'ten', generator: 'fake' });
    expect(applied.length).toBeLessThanOrEqual(2);
    await p.close();
  });

  it('falls back to preview after a failed generation, keeping the stream alive', async () => {
    const gen = new FakeGenerator();
    gen.generate = () => Promise.reject(new Error('out of memory'));
    const registry = new GeneratorRegistry();
    registry.register({ id: 'g', title: 'g' }, () => gen);
    const p = new SessionPipeline({ controls: recordingControls(), generators: registry, now: () => 0 });
    const events: SessionEvent[] = [];
    p.events$.subscribe((e) => events.push(e));
    expect((await p.updateParams({ mode: 'generate' })).ok).toBe(true);
    await settle();
    p.pushFrame(rgb(2, 1, 0), 0);
    p.pushFrame(rgb(2, 1, 1), 1); // the fake generator takes 2 frames per chunk
    await settle();
    expect(events.filter((e) => e.type === 'error')).toEqual([{ type: 'error', message: 'generation failed: out of memory' }]);
    expect(p.params.mode).toBe('preview');
    expect(gen.disposed).toBe(true); // preview holds no generator
    const out: number[] = [];
    p.output$.subscribe((f) => out.push(f.seq));
    p.pushFrame(rgb(2, 1, 2), 2);
    await settle();
    expect(out).toEqual([2]);
    await p.close();
  });
});

describe('SessionPipeline outpaint preview', () => {
  it('shows the grown picture: the generated margin gray, the kept camera dimmed', async () => {
    const p = new SessionPipeline({ controls: recordingControls(), generators: new GeneratorRegistry(), now: () => 0 });
    expect((await p.updateParams({ outpaint: { direction: 'left', amount: 0.25 } })).ok).toBe(true);
    await settle();
    const shown: number[][] = [];
    p.output$.subscribe((f) => shown.push(Array.from(f.frame.data.filter((_, i) => i % 3 === 0))));
    p.pushFrame(rgb(8, 1, 200), 0);
    await settle();
    expect(shown).toEqual([[127, 127, 100, 100, 100, 100, 100, 100]]);
    await p.close();
  });
});
