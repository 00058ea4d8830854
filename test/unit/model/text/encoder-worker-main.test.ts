import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerClient } from '../../../../src/model/runtime/worker-client.ts';
import { parseUmt5Config } from '../../../../src/model/text/config.ts';
import type { EncoderWorkerInit, EncoderWorkerProtocol } from '../../../../src/model/text/encoder-worker-protocol.ts';
import { Umt5Tokenizer } from '../../../../src/model/text/tokenizer.ts';
import { PIECES, tokenizerJson } from '../../../support/tiny-tokenizer.ts';
import { writeTinyUmt5 } from '../../../support/tiny-umt5.ts';

// The worker's entry driven at the message level, through the same WorkerClient and entry URL
// that TextEncoderWorker uses, so arguments its typed wrapper would refuse reach the worker.
const ENTRY = new URL('../../../../src/model/text/encoder-worker-main.ts', import.meta.url);
const RAW_CONFIG = { vocab_size: PIECES.length + 3, dim: 16, dim_attn: 16, dim_ffn: 32, num_heads: 2, encoder_layers: 1, num_buckets: 8, max_dist: 16, text_len: 8 };
const cfg = parseUmt5Config(RAW_CONFIG);

const dir = mkdtempSync(join(tmpdir(), 'umt5-worker-main-'));
const weightsPath = join(dir, 'encoder.safetensors');
const init: EncoderWorkerInit = { tokenizerPath: dir, weightsPath, config: RAW_CONFIG, session: { threads: 1 } };
const start = (i: EncoderWorkerInit = init) => WorkerClient.start<EncoderWorkerProtocol>({ entry: ENTRY, init: i, name: 'text encoder' });
/** A call with an argument the protocol's types would not allow. */
const rawEncode = (c: WorkerClient<EncoderWorkerProtocol>, arg: unknown) => c.call('encode', arg as string[]);

let client: WorkerClient<EncoderWorkerProtocol>;
beforeAll(async () => {
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
  writeTinyUmt5(weightsPath, cfg);
  client = await start();
});
afterAll(async () => {
  await client?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('encoder-worker-main (the text-encoder worker thread)', () => {
  it('reports the device it loaded the encoder on', () => {
    expect(client.ready).toEqual({ device: 'cpu' });
  });

  it('answers an encode call with one [text_len, dim] embedding per prompt, tokenised as in this thread', async () => {
    const prompts = ['a cat', '  cats!  ', 'a a a a a a a a a a'];
    const got = await client.call('encode', prompts);
    const want = Umt5Tokenizer.fromFile(dir, { textLen: cfg.text_len }).encodeBatch(prompts).prompts;
    expect(got).toHaveLength(prompts.length);
    got.forEach((g, b) => {
      expect({ text: g.text, length: g.length, truncatedTokens: g.truncatedTokens }).toEqual({
        text: want[b]!.text,
        length: want[b]!.length,
        truncatedTokens: want[b]!.truncatedTokens,
      });
      expect(g.shape).toEqual([cfg.text_len, cfg.dim]);
      expect(g.data).toBeInstanceOf(Float32Array);
      expect(g.data.length).toBe(cfg.text_len * cfg.dim);
      expect(g.data.subarray(0, g.length * cfg.dim).some((v) => v !== 0)).toBe(true);
      expect(g.data.subarray(g.length * cfg.dim).every((v) => v === 0)).toBe(true);
    });
    expect(got[2]!.truncatedTokens).toBeGreaterThan(0); // longer than text_len: cut, and said so
    expect(await client.call('encode', [])).toEqual([]);
  });

  it('rejects a malformed encode argument with a clear error, and keeps serving', async () => {
    await expect(rawEncode(client, 'a cat')).rejects.toThrow('text encoder: encode takes an array of prompt strings, got string');
    await expect(rawEncode(client, null)).rejects.toThrow('text encoder: encode takes an array of prompt strings, got null');
    await expect(rawEncode(client, ['a cat', 7])).rejects.toThrow('text encoder: prompt 1 is not a string (got number)');
    await expect((client.call as (name: string, arg: unknown) => Promise<unknown>)('decode', ['a cat'])).rejects.toThrow("text encoder: unknown call 'decode'");
    const [after] = await client.call('encode', ['a cat']);
    expect(after!.text).toBe('a cat');
  });

  it('fails its start with an error naming a tokenizer or config it cannot use', async () => {
    await expect(start({ ...init, tokenizerPath: join(dir, 'no-tokenizer') })).rejects.toThrow(/text encoder: .*no-tokenizer/);
    await expect(start({ ...init, config: { ...RAW_CONFIG, num_heads: 0 } })).rejects.toThrow(/text encoder: text encoder config for .*encoder\.safetensors/);
  });

  it('answers the calls sent before close, then frees the encoder and ends the thread', async () => {
    const c = await start();
    const pending = c.call('encode', ['a cat']);
    const closed = c.close();
    await expect(pending).resolves.toHaveLength(1);
    await closed;
    await expect(c.call('encode', ['a cat'])).rejects.toThrow(/after close/);
  });

  it('is a worker entry only: loaded on the main thread it refuses to start', async () => {
    await expect(import('../../../../src/model/text/encoder-worker-main.ts')).rejects.toThrow('serveWorker() must run on a worker thread');
  });
});
