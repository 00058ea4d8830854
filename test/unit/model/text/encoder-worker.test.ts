import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUmt5Config } from '../../../../src/model/text/config.ts';
import { Umt5Encoder } from '../../../../src/model/text/encoder.ts';
import { TextEncoderWorker } from '../../../../src/model/text/encoder-worker.ts';
import { Umt5Tokenizer } from '../../../../src/model/text/tokenizer.ts';
import { PIECES, tokenizerJson } from '../../../support/tiny-tokenizer.ts';
import { writeTinyUmt5 } from '../../../support/tiny-umt5.ts';

// Big enough that one batch takes a noticeable time on CPU, small enough for a unit test.
const RAW_CONFIG = { vocab_size: PIECES.length + 3, dim: 128, dim_attn: 128, dim_ffn: 512, num_heads: 4, encoder_layers: 3, num_buckets: 32, max_dist: 128, text_len: 256 };
const cfg = parseUmt5Config(RAW_CONFIG);

describe('TextEncoderWorker', () => {
  let dir: string;
  let worker: TextEncoderWorker;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'umt5-worker-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
    writeTinyUmt5(join(dir, 'encoder.safetensors'), cfg);
    worker = await TextEncoderWorker.start({ tokenizerPath: dir, weightsPath: join(dir, 'encoder.safetensors'), config: RAW_CONFIG, session: { threads: 1 } });
  });
  afterAll(async () => {
    await worker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the same embeddings as tokenizer + encoder run in this thread', async () => {
    const prompts = ['a cat', '  cats!  ', ''];
    const got = await worker.encodeMany(prompts);
    const tok = Umt5Tokenizer.fromFile(dir, { textLen: cfg.text_len });
    const enc = await Umt5Encoder.open(join(dir, 'encoder.safetensors'), cfg, { threads: 1 });
    try {
      const batch = tok.encodeBatch(prompts);
      const ref = await enc.encode(batch.ids, batch.mask);
      const rowSize = cfg.text_len * cfg.dim;
      got.forEach((g, b) => {
        expect(g.text).toBe(batch.prompts[b]!.text);
        expect(g.length).toBe(batch.prompts[b]!.length);
        expect(g.embedding.shape).toEqual([cfg.text_len, cfg.dim]);
        // The worker encodes at the batch's real length (then zero-pads); only rounding may differ.
        const want = ref.promptEmbeds.data.subarray(b * rowSize, (b + 1) * rowSize);
        let worst = 0;
        g.embedding.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - want[i]!))));
        expect(worst).toBeLessThan(1e-5);
        // Rows after the real tokens are zero; real rows are not.
        expect(g.embedding.data.subarray(g.length * cfg.dim).every((v) => v === 0)).toBe(true);
        expect(g.embedding.data.subarray(0, cfg.dim).some((v) => v !== 0)).toBe(true);
      });
    } finally {
      await enc.release();
    }
  });

  it('keeps this thread’s event loop running while it encodes', async () => {
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const t0 = performance.now();
    // Full-length prompts (the worker encodes at the real length), batch after batch until the
    // encode time dwarfs timer granularity.
    const long = new Array(cfg.text_len).fill('a').join(' ');
    for (let i = 0; i < 40 && performance.now() - t0 < 400; i++) await worker.encodeMany(new Array(8).fill(0).map((_, j) => `${long} ${i} ${j}`));
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    expect(elapsed).toBeGreaterThan(300);
    // Blocked, there would be ~0 ticks and one gap as long as an encode; allow a loaded 2-core machine slack.
    expect(ticks).toBeGreaterThan(elapsed / 5 / 4);
    expect(maxGap).toBeLessThan(elapsed / 2);
  });

  it('loads int8 weights when asked (the preset default for UMT5-XXL)', async () => {
    const int8 = await TextEncoderWorker.start({ tokenizerPath: dir, weightsPath: join(dir, 'encoder.safetensors'), config: RAW_CONFIG, session: { threads: 1 }, weights: 'int8' });
    const ref = await Umt5Encoder.open(join(dir, 'encoder.safetensors'), cfg, { threads: 1, weights: 'int8' });
    try {
      const [got] = await int8.encodeMany(['a cat']);
      const [exact] = await worker.encodeMany(['a cat']);
      const batch = Umt5Tokenizer.fromFile(dir, { textLen: cfg.text_len }).encodeBatch(['a cat']);
      const want = await ref.encodePromptEmbeds(batch.ids, batch.mask);
      expect(Array.from(got!.embedding.data)).toEqual(Array.from(want.data));
      expect(Array.from(got!.embedding.data)).not.toEqual(Array.from(exact!.embedding.data));
    } finally {
      await Promise.all([int8.close(), ref.release()]);
    }
  });

  it('reports a load failure naming the missing file, without throwing elsewhere', async () => {
    await expect(
      TextEncoderWorker.start({ tokenizerPath: dir, weightsPath: join(dir, 'missing.safetensors'), config: RAW_CONFIG }),
    ).rejects.toThrow(/missing\.safetensors/);
    await expect(TextEncoderWorker.start({ tokenizerPath: dir, weightsPath: join(dir, 'encoder.safetensors'), config: { dim: 0 } })).rejects.toThrow(/text encoder config/);
  });

  it('reports an encode failure for that request and keeps serving the next', async () => {
    // A vocabulary smaller than the tokenizer's: "cats!" has ids the embedding table lacks, "" has only </s>.
    const small = { ...RAW_CONFIG, vocab_size: 5 };
    const weights = join(dir, 'small.safetensors');
    writeTinyUmt5(weights, parseUmt5Config(small));
    const w = await TextEncoderWorker.start({ tokenizerPath: dir, weightsPath: weights, config: small, session: { threads: 1 } });
    try {
      await expect(w.encode('cats!')).rejects.toThrow(/ids\[0, 0\] = 6 is outside the vocabulary \[0, 5\)/);
      await expect(w.encode('')).resolves.toMatchObject({ length: 1 });
    } finally {
      await w.close();
    }
  });

  it('refuses a prompt that is not a string before it reaches the worker', async () => {
    await expect(worker.encodeMany(['a cat', 3 as unknown as string])).rejects.toThrow('text encoder: prompt 1 is not a string (got number)');
    await expect(worker.encode('a cat')).resolves.toMatchObject({ text: 'a cat' });
  });

  it('rejects encodes after close()', async () => {
    const w = await TextEncoderWorker.start({ tokenizerPath: dir, weightsPath: join(dir, 'encoder.safetensors'), config: RAW_CONFIG, session: { threads: 1 } });
    await w.close();
    await expect(w.encode('a cat')).rejects.toThrow(/after close/);
  });
});
