/**
 * Latent layout conversions. The model graphs take [C, F, H, W]; scope's pipeline (and its
 * fixtures) keeps latents as [F, C, H, W]. Both are plain strided copies.
 */
export function fchwToCfhw(src: Float32Array, F: number, C: number, HW: number, dst = new Float32Array(src.length)): Float32Array {
  for (let f = 0; f < F; f++) for (let c = 0; c < C; c++) dst.set(src.subarray((f * C + c) * HW, (f * C + c + 1) * HW), (c * F + f) * HW);
  return dst;
}

export function cfhwToFchw(src: Float32Array, C: number, F: number, HW: number, dst = new Float32Array(src.length)): Float32Array {
  for (let c = 0; c < C; c++) for (let f = 0; f < F; f++) dst.set(src.subarray((c * F + f) * HW, (c * F + f + 1) * HW), (f * C + c) * HW);
  return dst;
}
