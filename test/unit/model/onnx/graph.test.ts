import { describe, expect, it } from 'vitest';
import { Graph } from '../../../../src/model/onnx/graph.ts';
import { attention, layerNorm, rmsNorm } from '../../../../src/model/onnx/nn.ts';
import { add, gemmTransB, gelu, matmul, reshape, transpose } from '../../../../src/model/onnx/ops.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { f32 } from '../../../../src/model/tensor.ts';

function rand(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

describe('graph builder', () => {
  it('a Gemm graph runs in ORT and matches a JS matmul', async () => {
    const g = new Graph('gemm');
    const x = g.input('x', 'float32', [3, 4]);
    const w = g.initializer('w', 'float32', [2, 4], rand(8, 3));
    const b = g.initializer('b', 'float32', [2], Float32Array.from([0.5, -1]));
    const y = gemmTransB(x, w, b);
    expect(y.shape).toEqual([3, 2]);
    g.output(y, 'y');
    const s = await ModelSession.fromGraph(g);
    const xd = rand(12, 7);
    const out = (await s.run({ x: f32([3, 4], xd) })).y!;
    const wd = rand(8, 3);
    for (let i = 0; i < 3; i++)
      for (let o = 0; o < 2; o++) {
        let acc = o === 0 ? 0.5 : -1;
        for (let k = 0; k < 4; k++) acc += xd[i * 4 + k]! * wd[o * 4 + k]!;
        expect(out.data[i * 2 + o]).toBeCloseTo(acc, 5);
      }
    await s.release();
  });

  it('infers shapes and rejects wiring mistakes at build time', () => {
    const g = new Graph('shapes');
    const x = g.input('x', 'float32', [6, 8]);
    expect(transpose(reshape(x, [0, 2, 4]), [1, 0, 2]).shape).toEqual([2, 6, 4]);
    const w = g.initializer('w', 'float32', [3, 5], new Float32Array(15));
    expect(() => gemmTransB(x, w)).toThrow(/expects 5/);
    expect(() => matmul(x, g.input('y', 'float32', [7, 2]))).toThrow(/inner dims differ/);
    expect(() => reshape(x, [5, -1])).toThrow(/cannot reshape/);
    expect(() => g.input('x', 'float32', [1])).toThrow(/already used/);
  });

  it('norms, gelu and attention (with zero keys) agree with direct JS maths', async () => {
    const L = 5, S = 7, H = 2, d = 4, dim = H * d, Z = 3;
    const g = new Graph('nn');
    const q = g.input('q', 'float32', [L, dim]);
    const k = g.input('k', 'float32', [S, dim]);
    const v = g.input('v', 'float32', [S, dim]);
    g.output(attention(q, k, v, H, { zeroKeys: Z }), 'att');
    g.output(attention(q, k, v, H), 'att0');
    g.output(rmsNorm(q, undefined, 1e-6), 'rms');
    g.output(layerNorm(q, 1e-6), 'ln');
    g.output(gelu(add(q, 0), 'tanh'), 'gelu');
    const s = await ModelSession.fromGraph(g);
    const qd = rand(L * dim, 11), kd = rand(S * dim, 12), vd = rand(S * dim, 13);
    const out = await s.run({ q: f32([L, dim], qd), k: f32([S, dim], kd), v: f32([S, dim], vd) });
    for (const [name, zk] of [['att', Z], ['att0', 0]] as const) {
      for (let h = 0; h < H; h++)
        for (let i = 0; i < L; i++) {
          const logits = Array.from({ length: S }, (_, j) => {
            let a = 0;
            for (let c = 0; c < d; c++) a += qd[i * dim + h * d + c]! * kd[j * dim + h * d + c]!;
            return a / Math.sqrt(d);
          });
          const all = [...logits, ...new Array<number>(zk).fill(0)];
          const m = Math.max(...all);
          const den = all.reduce((p, l) => p + Math.exp(l - m), 0);
          for (let c = 0; c < d; c++) {
            let acc = 0;
            for (let j = 0; j < S; j++) acc += (Math.exp(logits[j]! - m) / den) * vd[j * dim + h * d + c]!;
            expect(out[name]!.data[i * dim + h * d + c]).toBeCloseTo(acc, 5);
          }
        }
    }
    for (let i = 0; i < L; i++) {
      const row = Array.from(qd.subarray(i * dim, (i + 1) * dim));
      const ms = row.reduce((p, x) => p + x * x, 0) / dim;
      const mean = row.reduce((p, x) => p + x, 0) / dim;
      const variance = row.reduce((p, x) => p + (x - mean) ** 2, 0) / dim;
      row.forEach((x, c) => {
        expect(out.rms!.data[i * dim + c]).toBeCloseTo(x / Math.sqrt(ms + 1e-6), 5);
        expect(out.ln!.data[i * dim + c]).toBeCloseTo((x - mean) / Math.sqrt(variance + 1e-6), 4);
        const gl = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
        expect(out.gelu!.data[i * dim + c]).toBeCloseTo(gl, 5);
      });
    }
    await s.release();
  });
});
