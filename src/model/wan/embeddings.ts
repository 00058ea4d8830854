/**
 * Inputs the DiT graphs take precomputed from TypeScript: the timestep sinusoid and the 3-D
 * RoPE angle tables. Both are computed in float64 as upstream does, then cast to float32.
 */
import { headDim, type TokenGrid, type WanConfig } from './config.ts';
import { f32, type F32Tensor } from '../tensor.ts';

/** [F, freq_dim]: per frame `[cos(t·ω_k)…, sin(t·ω_k)…]`, ω_k = 10000^(−k/half) — cos first. */
export function timestepSinusoid(freqDim: number, timesteps: readonly number[]): F32Tensor {
  const half = freqDim / 2;
  const out = new Float32Array(timesteps.length * freqDim);
  timesteps.forEach((t, f) => {
    for (let k = 0; k < half; k++) {
      const a = t * Math.pow(10000, -k / half);
      out[f * freqDim + k] = Math.cos(a);
      out[f * freqDim + half + k] = Math.sin(a);
    }
  });
  return f32([timesteps.length, freqDim], out);
}

/** Split of the d/2 complex pairs into (time, height, width): [c − 2⌊c/3⌋, ⌊c/3⌋, ⌊c/3⌋]. */
export function ropeSplit(d: number): [number, number, number] {
  const c = d / 2;
  return [c - 2 * Math.floor(c / 3), Math.floor(c / 3), Math.floor(c / 3)];
}

/**
 * cos and sin of the RoPE angles for every token of `grid` ([L, d/2] each, tokens in f,h,w
 * raster order). Frame positions start at `startFrame` (absolute in the causal model).
 * Each axis has its own frequency table: time uses denominator d − 4⌊d/6⌋, h and w 2⌊d/6⌋
 * (rope_params), so the axes are not slices of one table.
 */
export function ropeTables(cfg: WanConfig, grid: TokenGrid, startFrame = 0): { cos: F32Tensor; sin: F32Tensor } {
  const d = headDim(cfg);
  const c = d / 2;
  const [ct, ch] = ropeSplit(d);
  const dimT = d - 4 * Math.floor(d / 6);
  const dimHW = 2 * Math.floor(d / 6);
  const freq = new Float64Array(c);
  for (let j = 0; j < ct; j++) freq[j] = Math.pow(10000, -(2 * j) / dimT);
  for (let j = 0; j < ch; j++) {
    freq[ct + j] = Math.pow(10000, -(2 * j) / dimHW);
    freq[ct + ch + j] = Math.pow(10000, -(2 * j) / dimHW);
  }
  const L = grid.frames * grid.height * grid.width;
  const cos = new Float32Array(L * c);
  const sin = new Float32Array(L * c);
  let tok = 0;
  for (let f = 0; f < grid.frames; f++)
    for (let h = 0; h < grid.height; h++)
      for (let w = 0; w < grid.width; w++, tok++) {
        for (let m = 0; m < c; m++) {
          const pos = m < ct ? f + startFrame : m < ct + ch ? h : w;
          const a = pos * freq[m]!;
          cos[tok * c + m] = Math.cos(a);
          sin[tok * c + m] = Math.sin(a);
        }
      }
  return { cos: f32([L, c], cos), sin: f32([L, c], sin) };
}

/** Text embeddings zero-padded (rows of zeros) to text_len, as upstream pads before the MLP. */
export function padTextContext(cfg: WanConfig, ctx: F32Tensor): F32Tensor {
  const [rows, width] = ctx.shape as [number, number];
  if (width !== cfg.text_dim) throw new Error(`text context has width ${width}, the model expects text_dim ${cfg.text_dim}`);
  if (rows > cfg.text_len) throw new Error(`text context has ${rows} rows, more than text_len ${cfg.text_len}`);
  const out = new Float32Array(cfg.text_len * width);
  out.set(ctx.data.subarray(0, rows * width));
  return f32([cfg.text_len, width], out);
}
