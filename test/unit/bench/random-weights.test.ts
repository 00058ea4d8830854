import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRandomWeights, isCurrentRandomWeights, randomWanTensors, randomWeightsPath } from '../../../bench/random-weights.ts';
import { randomTensor } from '../../../src/model/weights/random.ts';
import { parseWanConfig } from '../../../src/model/wan/config.ts';
import { wanParams } from '../../../src/model/wan/param-spec.ts';
import { SafetensorsFile } from '../../../src/model/weights/safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'random-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cfg = parseWanConfig({
  patch_size: [1, 2, 2], text_len: 8, in_dim: 4, dim: 16, ffn_dim: 32, freq_dim: 8, text_dim: 12, out_dim: 4,
  num_heads: 2, num_layers: 3, vace_layers: [0, 2], vace_in_dim: 8,
});

describe('random Wan weights', () => {
  it('cover exactly the upstream key names and shapes of the config (base + VACE)', () => {
    const tensors = randomWanTensors(cfg);
    expect(new Map(tensors.map((t) => [t.name, t.shape]))).toEqual(wanParams(cfg, { vace: true }));
    expect(tensors.map((t) => t.name)).toContain('vace_blocks.0.before_proj.weight');
    expect(randomWanTensors(cfg, { vace: false }).some((t) => t.name.startsWith('vace_'))).toBe(false);
  });

  it('generate each tensor lazily, when it is written', () => {
    const t = randomWanTensors(cfg, { seed: 5 }).find((x) => x.name === 'blocks.1.ffn.0.weight')!;
    expect(typeof t.data).toBe('function');
    expect((t.data as () => Float32Array)()).toEqual(randomTensor(5, 'blocks.1.ffn.0.weight', [32, 16]).data);
  });

  it('are written once and reused; a different config or seed regenerates the file', () => {
    const path = randomWeightsPath('unit', dir);
    const first = ensureRandomWeights(path, cfg, { seed: 3 });
    expect(first.created).toBe(true);
    const mtime = statSync(path).mtimeMs;
    expect(ensureRandomWeights(path, cfg, { seed: 3 }).created).toBe(false);
    expect(statSync(path).mtimeMs).toBe(mtime);

    const f = new SafetensorsFile(path);
    try {
      expect(f.getF32('head.head.weight').data).toEqual(randomTensor(3, 'head.head.weight', [16, 16]).data);
      expect(f.getF32('head.head.weight').data).not.toEqual(randomTensor(4, 'head.head.weight', [16, 16]).data);
      expect(first.bytes).toBe(f.keys().reduce((n, k) => n + f.entry(k).byteLength, 0));
    } finally {
      f.close();
    }
    expect(isCurrentRandomWeights(path, cfg, { seed: 4 })).toBe(false);
    const wider = parseWanConfig({ ...cfg, ffn_dim: 48 });
    expect(isCurrentRandomWeights(path, wider, { seed: 3 })).toBe(false);
    expect(ensureRandomWeights(path, wider, { seed: 3 }).created).toBe(true);
    expect(isCurrentRandomWeights(path, wider, { seed: 3 })).toBe(true);
  });

  it('refuses a cache name that is not a plain file name', () => {
    expect(() => randomWeightsPath('../x')).toThrow(/"..\/x" is not a usable file name/);
  });
});
