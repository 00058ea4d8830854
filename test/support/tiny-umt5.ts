/** Test helper: a random-weight UMT5 encoder checkpoint with the real T5Encoder key names. */
import { writeSafetensors, bytesOf } from './torch-save-writer.ts';
import type { Umt5Config } from '../../src/model/text/config.ts';

/** Deterministic pseudo-random normal-ish values (sum of uniforms), scaled. */
function randomValues(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() + next() + next() - 1.5) * scale;
  return out;
}

export function writeTinyUmt5(path: string, cfg: Umt5Config, seed = 1): void {
  const tensors: Record<string, { dtype: string; shape: number[]; data: Uint8Array }> = {};
  let k = seed;
  const put = (name: string, shape: number[], scale: number, fill?: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = fill === undefined ? randomValues(n, k++, scale) : new Float32Array(n).fill(fill);
    tensors[name] = { dtype: 'F32', shape, data: bytesOf(data) };
  };
  put('token_embedding.weight', [cfg.vocab_size, cfg.dim], 1);
  for (let i = 0; i < cfg.encoder_layers; i++) {
    const p = `blocks.${i}`;
    put(`${p}.norm1.weight`, [cfg.dim], 0, 1);
    for (const w of ['q', 'k', 'v']) put(`${p}.attn.${w}.weight`, [cfg.dim_attn, cfg.dim], 1 / Math.sqrt(cfg.dim));
    put(`${p}.attn.o.weight`, [cfg.dim, cfg.dim_attn], 1 / Math.sqrt(cfg.dim_attn));
    put(`${p}.norm2.weight`, [cfg.dim], 0, 1);
    put(`${p}.ffn.gate.0.weight`, [cfg.dim_ffn, cfg.dim], 1 / Math.sqrt(cfg.dim));
    put(`${p}.ffn.fc1.weight`, [cfg.dim_ffn, cfg.dim], 1 / Math.sqrt(cfg.dim));
    put(`${p}.ffn.fc2.weight`, [cfg.dim, cfg.dim_ffn], 1 / Math.sqrt(cfg.dim_ffn));
    put(`${p}.pos_embedding.embedding.weight`, [cfg.num_buckets, cfg.num_heads], 0.5);
  }
  put('norm.weight', [cfg.dim], 0, 1);
  writeSafetensors(path, tensors);
}
