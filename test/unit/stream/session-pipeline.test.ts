import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Control } from '../../../controls/types.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import type { ChunkGenerator, ChunkInput } from '../../../src/pipeline/generator-types.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';
import { SessionPipeline, type ControlSource } from '../../../src/stream/session-pipeline.ts';

/** Test control: writes a constant value into every byte, so output tells which control ran. */
function constantControl(id: string, value: number): Control {
  return {
    id,
    needsWeights: false,
    process: (f: RgbFrames) => ({ frames: { ...f, data: new Uint8Array(f.data.length).fill(value) } }),
    reset: () => {},
  };
}

function controlSource(disposed: string[] = []): ControlSource {
  const make: Record<string, () => Control> = {
    passthrough: () => ({ id: 'passthrough', needsWeights: false, process: (f) => ({ frames: f }), reset: () => {}, dispose: () => void disposed.push('passthrough') }),
    ten: () => ({ ...constantControl('ten', 10), dispose: () => void disposed.push('ten') }),
    twenty: () => constantControl('twenty', 20),
  };
  return { list: () => Object.keys(make).map((id) => ({ id })), create: (id) => make[id]() };
}

/** A generator that wants 13 frames first, then 12, and records what it was given. */
class RecordingGenerator implements ChunkGenerator {
  readonly id = 'recording';
  inputs: ChunkInput[] = [];
  disposed = false;
  #first = true;
  constructor(readonly delayMs = 0) {}
  outputSize(width: number, height: number) {
    return { width, height };
  }
  framesForNextChunk(): number {
    return this.#first ? 13 : 12;
  }
  async generate(input: ChunkInput): Promise<RgbFrames> {
    this.#first = false;
    this.inputs.push(input);
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    return input.frames;
  }
  reset(): void {
    this.#first = true;
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function frame(value: number): RgbFrames {
  return { width: 4, height: 2, count: 1, data: new Uint8Array(24).fill(value) };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('SessionPipeline', () => {
  it('shows the control output at camera rate in preview mode', async () => {
    const p = new SessionPipeline({ controls: controlSource(), generators: new GeneratorRegistry(), initialParams: { control: 'ten' } });
    const out = firstValueFrom(p.output$.pipe(take(3), toArray()));
    for (let i = 0; i < 3; i++) {
      p.pushFrame(frame(i), i);
      await tick();
    }
    const frames = await out;
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2]);
    expect(frames.every((f) => f.frame.data.every((v) => v === 10))).toBe(true);
    await p.close();
  });

  it('asks the generator for 13 frames on the first chunk and 12 after', async () => {
    const registry = new GeneratorRegistry();
    const gen = new RecordingGenerator();
    registry.register({ id: 'recording', title: 'test' }, () => gen);
    const p = new SessionPipeline({ controls: controlSource(), generators: registry, queueCapacity: 100 });
    expect((await p.updateParams({ mode: 'generate' })).ok).toBe(true);
    for (let i = 0; i < 25; i++) {
      p.pushFrame(frame(i), i);
      await tick();
    }
    await tick();
    expect(gen.inputs.map((c) => c.frames.count)).toEqual([13, 12]);
    expect(gen.inputs[0].frames.data[0]).toBe(0);
    expect(gen.inputs[1].frames.data[0]).toBe(13);
    await p.close();
    expect(gen.disposed).toBe(true);
  });

  it('applies a parameter change at the next chunk boundary, never inside a chunk', async () => {
    const registry = new GeneratorRegistry();
    const gen = new RecordingGenerator(20);
    registry.register({ id: 'recording', title: 'test' }, () => gen);
    const p = new SessionPipeline({ controls: controlSource(), generators: registry, queueCapacity: 100 });
    await p.updateParams({ mode: 'generate', prompt: 'first' });
    const applied = firstValueFrom(p.events$.pipe(filter((e) => e.type === 'applied' && e.params.prompt === 'second')));
    for (let i = 0; i < 13; i++) p.pushFrame(frame(i), i);
    await tick(); // chunk 0 is now generating
    const r = await p.updateParams({ prompt: 'second', control: 'ten' });
    expect(r.ok).toBe(true);
    for (let i = 13; i < 25; i++) p.pushFrame(frame(i), i);
    const e = await applied;
    await new Promise((res) => setTimeout(res, 50));
    expect(gen.inputs.map((c) => c.params.prompt)).toEqual(['first', 'second']);
    // passthrough in generate mode means "no control"; a real control becomes the VACE control.
    expect(gen.inputs[0].control).toBeUndefined();
    expect(gen.inputs[1].control!.frames.data[0]).toBe(10);
    expect(gen.inputs[1].params).toMatchObject({ interpolation: 'linear', transitionChunks: 4 });
    if (r.ok && e.type === 'applied') expect(e.chunk - r.acceptedAtChunk).toBeLessThanOrEqual(1);
    await p.close();
  });

  it('computes the next chunk’s control while the current chunk generates (generate mode)', async () => {
    const log: string[] = [];
    let n = 0;
    // An annotator-like control that takes time off the main thread (a worker in production).
    const slow: Control = {
      id: 'slow',
      needsWeights: true,
      process: async (f: RgbFrames) => {
        const k = n++;
        log.push(`control ${k} start`);
        await new Promise((r) => setTimeout(r, 20));
        log.push(`control ${k} end`);
        return { frames: f };
      },
      reset: () => {},
    };
    class LoggingGenerator extends RecordingGenerator {
      override async generate(input: ChunkInput): Promise<RgbFrames> {
        const k = this.inputs.length;
        log.push(`generate ${k} start`);
        const out = await super.generate(input);
        log.push(`generate ${k} end`);
        return out;
      }
    }
    const registry = new GeneratorRegistry();
    registry.register({ id: 'recording', title: 'test' }, () => new LoggingGenerator(80));
    const controls: ControlSource = { list: () => [{ id: 'passthrough' }, { id: 'slow' }], create: (id) => (id === 'slow' ? slow : controlSource().create('passthrough')) };
    const p = new SessionPipeline({ controls, generators: registry, queueCapacity: 100 });
    await p.updateParams({ mode: 'generate', control: 'slow' });
    const done = firstValueFrom(p.events$.pipe(filter((e) => e.type === 'chunk'), take(3), toArray()));
    // Frames arrive over time, like a camera (all at once, the drop policy would keep one chunk).
    let i = 0;
    const camera = setInterval(() => p.pushFrame(frame(i % 250), i++), 4);
    await done;
    clearInterval(camera);
    await p.close();
    // Chunk 1's control ran inside chunk 0's generation, chunk 2's inside chunk 1's.
    expect(log.indexOf('control 1 start')).toBeLessThan(log.indexOf('generate 0 end'));
    expect(log.indexOf('control 2 start')).toBeLessThan(log.indexOf('generate 1 end'));
    expect(log.indexOf('generate 1 start')).toBeGreaterThan(log.indexOf('generate 0 end'));
  });

  it('rejects an invalid update and keeps the current parameters', async () => {
    const p = new SessionPipeline({ controls: controlSource(), generators: new GeneratorRegistry() });
    const before = p.params;
    const bad = await p.updateParams({ seed: -1 });
    expect(bad.ok).toBe(false);
    const unknown = await p.updateParams({ control: 'nope' });
    expect(unknown).toEqual({ ok: false, error: expect.stringMatching(/unknown control 'nope'/) });
    expect(p.params).toEqual(before);
    await p.close();
  });

  it('answers "no model loaded" when generate mode has no generator registered', async () => {
    const p = new SessionPipeline({ controls: controlSource(), generators: new GeneratorRegistry() });
    const r = await p.updateParams({ mode: 'generate' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/no model loaded/);
    expect(p.params.mode).toBe('preview');
    await p.close();
  });

  it('frees generator and control when closed mid-chunk, and emits nothing afterwards', async () => {
    const registry = new GeneratorRegistry();
    const gen = new RecordingGenerator(50);
    registry.register({ id: 'recording', title: 'test' }, () => gen);
    const disposed: string[] = [];
    const p = new SessionPipeline({ controls: controlSource(disposed), generators: registry, queueCapacity: 100, initialParams: { control: 'ten' } });
    await p.updateParams({ mode: 'generate' });
    let emitted = 0;
    p.output$.subscribe(() => emitted++);
    for (let i = 0; i < 13; i++) p.pushFrame(frame(i), i);
    await tick();
    expect(gen.inputs).toHaveLength(1);
    await p.close();
    expect(gen.disposed).toBe(true);
    expect(disposed).toContain('ten');
    expect(emitted).toBe(0);
    p.pushFrame(frame(0));
    expect(p.stats().inputFrames).toBe(13);
  });

  it('drops evenly when the camera outruns the generator and reports the drops', async () => {
    const registry = new GeneratorRegistry();
    const gen = new RecordingGenerator(30);
    registry.register({ id: 'recording', title: 'test' }, () => gen);
    const p = new SessionPipeline({ controls: controlSource(), generators: registry, queueCapacity: 24 });
    await p.updateParams({ mode: 'generate' });
    for (let i = 0; i < 13; i++) p.pushFrame(frame(i), i);
    await tick();
    for (let i = 13; i < 60; i++) p.pushFrame(frame(i), i); // 47 frames arrive during one chunk
    await new Promise((r) => setTimeout(r, 80));
    expect(gen.inputs).toHaveLength(2);
    const second = gen.inputs[1].frames;
    const firstValue = second.data[0];
    const lastValue = second.data[(second.count - 1) * 24];
    expect(lastValue).toBe(59); // newest frame always included
    expect(firstValue).toBe(60 - 24); // nothing older than the queue capacity
    expect(p.stats().droppedFrames).toBeGreaterThanOrEqual(47 - 12);
    await p.close();
  });

  it('hands an uploaded reference to the generator, the same object every chunk, and rejects unknown ids', async () => {
    const registry = new GeneratorRegistry();
    const gen = new RecordingGenerator();
    registry.register({ id: 'recording', title: 'test' }, () => gen);
    const p = new SessionPipeline({ controls: controlSource(), generators: registry, queueCapacity: 100 });
    const unknown = await p.updateParams({ referenceId: 'ref-99' });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.error).toMatch(/unknown reference 'ref-99'/);
    const image = { width: 2, height: 2, data: new Uint8Array(12).fill(7) };
    const id = p.addReference(image);
    expect((await p.updateParams({ mode: 'generate', referenceId: id })).ok).toBe(true);
    for (let i = 0; i < 25; i++) {
      p.pushFrame(frame(i), i);
      await tick();
    }
    await tick();
    expect(gen.inputs).toHaveLength(2);
    expect(gen.inputs[0].references?.[0]).toBe(image);
    expect(gen.inputs[1].references?.[0]).toBe(image);
    await p.close();
  });

  it('tells the generator factory the session frame size before any frame arrived', async () => {
    const registry = new GeneratorRegistry();
    const sizes: { width: number; height: number }[] = [];
    registry.register({ id: 'recording', title: 'test' }, (o) => {
      sizes.push({ width: o.width, height: o.height });
      return new RecordingGenerator();
    });
    const p = new SessionPipeline({ controls: controlSource(), generators: registry, frameSize: { width: 320, height: 176 } });
    expect((await p.updateParams({ mode: 'generate' })).ok).toBe(true);
    expect(sizes).toEqual([{ width: 320, height: 176 }]);
    await p.close();
  });

  it('fits camera chunks to a generator that takes one fixed size', async () => {
    const registry = new GeneratorRegistry();
    class FixedSize extends RecordingGenerator {
      override outputSize() {
        return { width: 2, height: 2 };
      }
    }
    const gen = new FixedSize();
    registry.register({ id: 'fixed', title: 'test' }, () => gen);
    const p = new SessionPipeline({ controls: controlSource(), generators: registry, queueCapacity: 100, initialParams: { control: 'ten' } });
    await p.updateParams({ mode: 'generate' });
    const out = firstValueFrom(p.output$);
    for (let i = 0; i < 13; i++) p.pushFrame(frame(i), i);
    const first = await out;
    expect(gen.inputs[0].frames).toMatchObject({ width: 2, height: 2, count: 13 });
    expect(gen.inputs[0].control!.frames).toMatchObject({ width: 2, height: 2, count: 13 });
    expect(first.frame).toMatchObject({ width: 2, height: 2 });
    await p.close();
  });
});
