/**
 * DINOv2's position-embedding interpolation (interpolate_pos_encoding), computed once per net
 * size on the host: the stored square G×G grid is resized bicubically with the scale factor
 * ((ph + offset)/G, (pw + offset)/G) — the source coordinates follow that GIVEN factor, not the
 * in/out ratio — and the class row is kept. An exactly G×G grid uses the table as is.
 */
import { bicubicTaps, resampleHwc } from './resample.ts';
import { f32, type F32Tensor } from '../tensor.ts';

/** `table` is [1, 1 + G², E]; returns [1, 1 + ph·pw, E]. */
export function interpolatePosEmbed(table: F32Tensor, grid: number, ph: number, pw: number, offset: number): F32Tensor {
  const [one, rows, E] = table.shape as [number, number, number];
  if (one !== 1 || rows !== 1 + grid * grid) throw new Error(`pos_embed has shape [${table.shape.join(', ')}], expected [1, ${1 + grid * grid}, E]`);
  if (ph === grid && pw === grid) return table;
  const sy = (ph + offset) / grid;
  const sx = (pw + offset) / grid;
  // PyTorch's output size from a scale factor is floor(in·scale); with offset < 1 that is ph, pw.
  if (Math.floor(grid * sy) !== ph || Math.floor(grid * sx) !== pw) {
    throw new Error(`pos-embed interpolation to ${ph}×${pw} patches: scale (${sy}, ${sx}) gives ${Math.floor(grid * sy)}×${Math.floor(grid * sx)}`);
  }
  const patches = table.data.subarray(E, E + grid * grid * E);
  const resized = resampleHwc(patches, grid, grid, E, bicubicTaps(grid, ph, 1 / sy), bicubicTaps(grid, pw, 1 / sx));
  const out = new Float32Array((1 + ph * pw) * E);
  out.set(table.data.subarray(0, E), 0);
  out.set(resized, E);
  return f32([1, 1 + ph * pw, E], out);
}
