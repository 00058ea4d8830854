/** The flags serve and render share: one parser, one help text. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { integerFlag, modelFlagsHelp, parseModelFlags } from '../../../src/cli/model-flags.ts';
import { SERVE_USAGE } from '../../../src/cli/serve-command.ts';
import { RENDER_USAGE } from '../../../src/cli/render.ts';

describe('model flags', () => {
  it('parses preset, device, dtype, threads and models folder, with defaults', () => {
    expect(parseModelFlags({ preset: 'longlive-1.3b', device: 'CPU', dtype: 'fp16', threads: '2', 'models-dir': 'm' })).toEqual({
      preset: 'longlive-1.3b',
      device: 'cpu',
      dtype: 'fp16',
      threads: 2,
      modelsDir: resolve('m'),
    });
    const d = parseModelFlags({});
    expect(d.preset).toBe('demo');
    expect(d.device).toBe('auto');
    expect(d.dtype).toBe('auto');
    expect(d).not.toHaveProperty('threads');
    expect(d).not.toHaveProperty('textWeights');
    expect(parseModelFlags({ 'text-weights': 'INT8' }).textWeights).toBe('int8');
    expect(parseModelFlags({ 'text-weights': 'f32' }).textWeights).toBe('f32');
  });

  it('refuses a bad device, dtype or thread count with the flag named', () => {
    expect(() => parseModelFlags({ device: 'tpu' })).toThrow(/--device must be one of auto, cpu, webgpu, cuda, got "tpu"/);
    expect(() => parseModelFlags({ dtype: 'int8' })).toThrow(/--dtype must be one of auto, fp32, fp16, got "int8"/);
    expect(() => parseModelFlags({ threads: '0' })).toThrow(/--threads must be an integer in \[1, 256\], got "0"/);
    expect(() => parseModelFlags({ threads: '1.5' })).toThrow(/--threads/);
    expect(() => parseModelFlags({ 'text-weights': 'int4' })).toThrow(/--text-weights must be one of f32, int8, got "int4"/);
    expect(integerFlag('port', undefined, 0, 1)).toBeUndefined();
    expect(() => integerFlag('port', ' ', 0, 65535)).toThrow(/--port must be an integer/);
  });

  it('both commands print the same model-flag lines', () => {
    const lines = (usage: string) => usage.split('\n').filter((l) => /^\s+--(preset|device|dtype|threads|models-dir|text-weights)\b/.test(l)).map((l) => l.trim().replace(/\s+/g, ' '));
    expect(lines(SERVE_USAGE)).toHaveLength(6);
    expect(lines(SERVE_USAGE)).toEqual(lines(RENDER_USAGE));
    expect(lines(modelFlagsHelp())).toEqual(lines(SERVE_USAGE));
  });
});
