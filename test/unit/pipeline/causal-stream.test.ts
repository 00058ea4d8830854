/**
 * KV recache after a prompt switch, on the tiny test config (test/support/wan.ts) with random weights: every chunk in the
 * window behind the sink is re-run at its own slots and absolute positions. Block 0's keys and
 * values depend only on a chunk's clean latents and its RoPE positions (the text enters later), so
 * they must come back bit-identical — any slot or position slip changes them — while deeper
 * blocks, which see the new text, change; the sink is never rewritten.
 */
import { describe, expect, it } from 'vitest';
import { WanModel } from '../../../src/model/wan/model.ts';
import { wanParams } from '../../../src/model/wan/param-spec.ts';
import { TINY_WAN } from '../../support/wan.ts';
import { randomTensor, randomWeights } from '../../../src/model/weights/random.ts';
import { CausalStream } from '../../../src/pipeline/causal-stream.ts';
import { SeededNoise } from '../../../src/pipeline/noise.ts';

describe('CausalStream.recache', () => {
  it('re-encodes the window at the right slots and positions, keeping the sink', async () => {
    const { config: cfg, latent } = TINY_WAN;
    const model = await WanModel.load(cfg, randomWeights(wanParams(cfg, { vace: false }), 5), { latentFrames: latent.frames, latentH: latent.height, latentW: latent.width }, { cache: true });
    try {
      const stream = new CausalStream(model, { sinkFrames: 3, windowFrames: 12 });
      const ctxA = await model.embedText(randomTensor(1, 'prompt a', [cfg.text_len, cfg.text_dim]));
      const ctxB = await model.embedText(randomTensor(1, 'prompt b', [cfg.text_len, cfg.text_dim]));
      const noise = new SeededNoise(3);
      // Six chunks: the window has rolled (frames 0–2 sink, then 9–17).
      for (let c = 0; c < 6; c++) await stream.generateChunk({ contextEmb: ctxA, noise: noise.forChunk(stream.startFrame) });
      const fs = stream.kv.config.tokensPerFrame;
      const dim = cfg.dim;
      const used = stream.kv.localEnd * dim;
      const sink = stream.kv.sinkTokens * dim;
      const before = { k0: stream.kv.k[0]!.slice(0, used), kLast: stream.kv.k[cfg.num_layers - 1]!.slice(0, used), vLast: stream.kv.v[cfg.num_layers - 1]!.slice(0, used) };
      const indices = [stream.kv.globalEnd, stream.kv.localEnd];

      expect(await stream.recache(ctxB)).toBe(3); // (12 − 3) window frames / 3 per chunk
      expect([stream.kv.globalEnd, stream.kv.localEnd]).toEqual(indices);
      expect(Array.from(stream.kv.k[0]!.slice(0, used))).toEqual(Array.from(before.k0));
      const last = stream.kv.k[cfg.num_layers - 1]!;
      expect(Array.from(last.slice(0, sink))).toEqual(Array.from(before.kLast.slice(0, sink))); // sink kept
      const changed = (a: Float32Array, b: Float32Array) => a.some((x, i) => Math.abs(x - b[i]!) > 1e-6);
      expect(changed(last.slice(sink, used), before.kLast.slice(sink, used))).toBe(true);
      expect(changed(stream.kv.v[cfg.num_layers - 1]!.slice(sink, used), before.vLast.slice(sink, used))).toBe(true);
      expect(fs * 12).toBe(stream.kv.capacity);

      // The stream goes on from where it was.
      const next = await stream.generateChunk({ contextEmb: ctxB, noise: noise.forChunk(stream.startFrame) });
      expect(next.startFrame).toBe(18);
    } finally {
      await model.release();
    }
  });
});
