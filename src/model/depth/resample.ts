/**
 * PyTorch's F.interpolate, reproduced on the host for the few resizes that happen outside the
 * graphs (pre/post-processing and the position-embedding table): bicubic (a = −0.75, border
 * replication, align_corners=False, no antialias) and bilinear with align_corners=True.
 * Arrays are channel-last (H, W, C), which is how frames and the pos-embed table are stored.
 */

/** Source taps for each output index along one axis: `idx[o·n + j]` with weight `w[o·n + j]`. */
export interface AxisTaps {
  readonly outSize: number;
  readonly taps: number;
  readonly idx: Int32Array;
  readonly w: Float64Array;
}

const CUBIC_A = -0.75;

function cubicWeights(t: number, out: Float64Array, at: number): void {
  const a = CUBIC_A;
  const x0 = t + 1;
  const x3 = 2 - t;
  const u = 1 - t;
  out[at] = ((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a;
  out[at + 1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  out[at + 2] = ((a + 2) * u - (a + 3)) * u * u + 1;
  out[at + 3] = ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a;
}

/**
 * Bicubic taps, align_corners=False. `srcPerDst` is PyTorch's coordinate scale: in/out when a
 * size is given, 1/scale_factor when a scale factor is given (the two differ for the pos-embed).
 */
export function bicubicTaps(inSize: number, outSize: number, srcPerDst = inSize / outSize): AxisTaps {
  const idx = new Int32Array(outSize * 4);
  const w = new Float64Array(outSize * 4);
  for (let o = 0; o < outSize; o++) {
    const real = srcPerDst * (o + 0.5) - 0.5;
    const base = Math.min(Math.floor(real), inSize - 1);
    const t = Math.min(Math.max(real - base, 0), 1);
    cubicWeights(t, w, o * 4);
    for (let j = 0; j < 4; j++) idx[o * 4 + j] = Math.min(Math.max(base - 1 + j, 0), inSize - 1);
  }
  return { outSize, taps: 4, idx, w };
}

/** Bilinear taps with align_corners=True: source = dst·(in − 1)/(out − 1). */
export function bilinearAlignCornersTaps(inSize: number, outSize: number): AxisTaps {
  const idx = new Int32Array(outSize * 2);
  const w = new Float64Array(outSize * 2);
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  for (let o = 0; o < outSize; o++) {
    const real = scale * o;
    const i0 = Math.min(Math.floor(real), inSize - 1);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const l = real - i0;
    idx[o * 2] = i0;
    idx[o * 2 + 1] = i1;
    w[o * 2] = 1 - l;
    w[o * 2 + 1] = l;
  }
  return { outSize, taps: 2, idx, w };
}

/**
 * Separable 2-D resample of a channel-last image [inH, inW, C] → [outH, outW, C]
 * (rows first, then columns; float64 accumulation, float32 result).
 */
export function resampleHwc(src: ArrayLike<number>, inH: number, inW: number, channels: number, ty: AxisTaps, tx: AxisTaps): Float32Array {
  if (src.length !== inH * inW * channels) throw new Error(`resample: ${src.length} values for a ${inH}×${inW}×${channels} image`);
  const outH = ty.outSize;
  const outW = tx.outSize;
  // Horizontal pass: [inH, outW, C].
  const mid = new Float64Array(inH * outW * channels);
  for (let y = 0; y < inH; y++) {
    const row = y * inW * channels;
    for (let x = 0; x < outW; x++) {
      const o = (y * outW + x) * channels;
      for (let j = 0; j < tx.taps; j++) {
        const wt = tx.w[x * tx.taps + j]!;
        if (wt === 0) continue;
        const s = row + tx.idx[x * tx.taps + j]! * channels;
        for (let c = 0; c < channels; c++) mid[o + c]! += wt * (src[s + c] as number);
      }
    }
  }
  // Vertical pass.
  const out = new Float32Array(outH * outW * channels);
  const acc = new Float64Array(outW * channels);
  for (let y = 0; y < outH; y++) {
    acc.fill(0);
    for (let j = 0; j < ty.taps; j++) {
      const wt = ty.w[y * ty.taps + j]!;
      if (wt === 0) continue;
      const s = ty.idx[y * ty.taps + j]! * outW * channels;
      for (let k = 0; k < acc.length; k++) acc[k]! += wt * mid[s + k]!;
    }
    out.set(acc, y * outW * channels);
  }
  return out;
}
