import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStreamBenchConfig } from '../../../bench/stream-config.ts';
import { chunkFlops, hintPassFlops, mainPassFlops } from '../../../bench/stream-flops.ts';
import { parseWanConfig } from '../../../src/model/wan/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'stream-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = { patch_size: [1, 2, 2], text_len: 4, in_dim: 2, dim: 8, ffn_dim: 16, freq_dim: 8, text_dim: 6, out_dim: 2, num_heads: 2, num_layers: 2 };

function write(name: string, obj: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(obj));
  return p;
}

describe('stream bench configs', () => {
  it('reads a bench config: model with the VACE fields beside it, geometry and stream settings', () => {
    const p = write('b.json', {
      name: 'mini', model, vace_layers: [0], vace_in_dim: 12, latent_hw: [4, 6],
      stream: { num_frame_per_block: 3, denoising_step_list: [1000, 500], sink_size: 3, local_attn_size: 9, vace_context_scale: 0.5 },
    });
    const c = loadStreamBenchConfig(p);
    expect(c).toMatchObject({ name: 'mini', latentH: 4, latentW: 6, chunkFrames: 3, steps: [1000, 500], sinkFrames: 3, windowFrames: 9, contextScale: 0.5 });
    expect(c.model.vace_layers).toEqual([0]);
    expect(c.model.vace_in_dim).toBe(12);
    expect(c.weightsPath).toBeUndefined();
  });

  it('reads a causal_stream manifest: its settings and its weights file next to it', () => {
    const p = write('manifest.json', {
      name: 'causal_stream', config: { ...model, vace_layers: [0], vace_in_dim: 12 }, latent_hw: [4, 4], vace_context_scale: 1,
      longlive_settings_used: { num_frame_per_block: 3, local_attn_size_frames: 12, sink_size_frames: 3 },
      chunks: [{ timesteps: [1000, 750, 0] }], files: { weights: { path: '../w/weights.safetensors' } },
    });
    const c = loadStreamBenchConfig(p);
    expect(c).toMatchObject({ name: 'fixture:causal_stream', chunkFrames: 3, windowFrames: 12, sinkFrames: 3, steps: [1000, 750] });
    expect(c.weightsPath).toBe(join(dir, '../w/weights.safetensors'));
  });

  it('names the file and field that is wrong', () => {
    const p = write('bad.json', { model, latent_hw: [4, 6], stream: { num_frame_per_block: 0 } });
    expect(() => loadStreamBenchConfig(p)).toThrow(/bad\.json: field "stream\.num_frame_per_block" must be a positive integer, got 0/);
    expect(() => loadStreamBenchConfig(write('other.json', { hello: 1 }))).toThrow(/neither a bench config .* nor a causal_stream manifest/);
    expect(() => loadStreamBenchConfig(join(dir, 'missing.json'))).toThrow(/missing\.json does not exist/);
    expect(() => loadStreamBenchConfig('a b')).toThrow(/--config must be fixture, a config name/);
  });
});

describe('stream bench FLOP count', () => {
  const cfg = parseWanConfig({ ...model, vace_layers: [0], vace_in_dim: 12 });
  const g = { tokens: 6, attendedTokens: 24, steps: 2 };

  it('counts a main pass by hand: embedding, per block projections, attention, cross-attention, FFN, head', () => {
    // per block MACs: self q,k,v,o 4·6·64 + attention 2·6·24·8 + cross q,o 2·6·64 + cross attention 2·6·4·8 + FFN 2·6·8·16
    const block = 4 * 6 * 64 + 2 * 6 * 24 * 8 + 2 * 6 * 64 + 2 * 6 * 4 * 8 + 2 * 6 * 8 * 16;
    const embed = 6 * 2 * 4 * 8;
    const head = 6 * 8 * 4 * 2;
    expect(mainPassFlops(cfg, g)).toBe(2 * (embed + 2 * block + head));
  });

  it('counts the VACE pass with the keys padded to 128 and adds it once per step', () => {
    const block = 4 * 6 * 64 + 2 * 6 * 128 * 8 + 2 * 6 * 64 + 2 * 6 * 4 * 8 + 2 * 6 * 8 * 16;
    const proj = 6 * 64;
    expect(hintPassFlops(cfg, g)).toBe(2 * (6 * 12 * 4 * 8 + proj + (block + proj)));
    expect(chunkFlops(cfg, g, false)).toBe(3 * mainPassFlops(cfg, g));
    expect(chunkFlops(cfg, g, true)).toBe(3 * mainPassFlops(cfg, g) + 2 * hintPassFlops(cfg, g));
  });
});
