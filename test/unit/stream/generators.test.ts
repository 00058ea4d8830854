import { describe, expect, it } from 'vitest';
import type { ChunkGenerator } from '../../../src/pipeline/generator-types.ts';
import { GeneratorRegistry, NoModelLoadedError, registerPreset } from '../../../src/stream/generators.ts';

const fake = (id: string): ChunkGenerator => ({
  id,
  outputSize: (width, height) => ({ width, height }),
  framesForNextChunk: () => 12,
  generate: async (input) => input.frames,
  reset: () => {},
  dispose: async () => {},
});

describe('GeneratorRegistry', () => {
  it('says "no model loaded" when nothing is registered', async () => {
    const r = new GeneratorRegistry();
    expect(r.has()).toBe(false);
    await expect(r.create({ width: 8, height: 8 })).rejects.toBeInstanceOf(NoModelLoadedError);
    await expect(r.create({ width: 8, height: 8 })).rejects.toThrow(/no model loaded/);
  });

  it('makes one generator per session from a registered preset and can unregister it', async () => {
    const r = new GeneratorRegistry();
    let made = 0;
    const off = registerPreset(r, { preset: 'demo', description: 'demo preset', createGenerator: () => fake(`demo-${++made}`) });
    expect(r.list()).toEqual([{ id: 'demo', title: 'demo', description: 'demo preset' }]);
    expect(r.defaultId).toBe('demo');
    expect((await r.create({ width: 8, height: 8 })).id).toBe('demo-1');
    expect((await r.create({ width: 8, height: 8 })).id).toBe('demo-2');
    off();
    expect(r.has()).toBe(false);
  });

  it("lists a preset's devices (where its models run after any CPU fallback) when it reports them", () => {
    const r = new GeneratorRegistry();
    registerPreset(r, { preset: 'demo', description: 'demo preset', devices: { dit: 'webgpu', tae: 'webgpu', textEncoder: 'cpu' }, createGenerator: () => fake('demo') });
    expect(r.list()).toEqual([{ id: 'demo', title: 'demo', description: 'demo preset', devices: { dit: 'webgpu', tae: 'webgpu', textEncoder: 'cpu' } }]);
  });

  it('refuses a second generator with the same id', () => {
    const r = new GeneratorRegistry();
    r.register({ id: 'a', title: 'a' }, () => fake('a'));
    expect(() => r.register({ id: 'a', title: 'again' }, () => fake('a'))).toThrow(/already registered/);
  });

  it('names the registered generators when an unknown one is asked for', async () => {
    const r = new GeneratorRegistry();
    r.register({ id: 'a', title: 'a' }, () => fake('a'));
    await expect(r.create({ width: 8, height: 8 }, 'b')).rejects.toThrow(/unknown generator 'b'; registered: a/);
  });
});
