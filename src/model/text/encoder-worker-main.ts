/**
 * Entry point of the text-encoder worker thread: loads the tokenizer and the UMT5 encoder once,
 * then answers encode calls one at a time (serveWorker serialises them, which keeps the
 * worker's CPU use bounded). A failed load is the worker's start error.
 */
import { serveWorker, transferring } from '../runtime/worker-service.ts';
import { parseUmt5Config } from './config.ts';
import { Umt5Encoder } from './encoder.ts';
import { checkPrompts, type EncodedPromptMessage, type EncoderWorkerProtocol } from './encoder-worker-protocol.ts';
import { Umt5Tokenizer } from './tokenizer.ts';

serveWorker<EncoderWorkerProtocol>(async (init) => {
  const cfg = parseUmt5Config(init.config, `text encoder config for ${init.weightsPath}`);
  const tokenizer = Umt5Tokenizer.fromFile(init.tokenizerPath, { textLen: cfg.text_len });
  const encoder = await Umt5Encoder.open(init.weightsPath, cfg, { ...init.session, cacheDir: init.cacheDir, weights: init.weights });
  return {
    ready: { device: encoder.device },
    calls: {
      encode: async (arg) => {
        const prompts = checkPrompts(arg);
        const batch = tokenizer.encodeBatch(prompts);
        const embeds = await encoder.encodePromptEmbeds(batch.ids, batch.mask);
        const [, L, dim] = embeds.shape as [number, number, number];
        const results: EncodedPromptMessage[] = batch.prompts.map((p, b) => ({
          text: p.text,
          length: p.length,
          truncatedTokens: p.truncatedTokens,
          shape: [L, dim],
          data: embeds.data.slice(b * L * dim, (b + 1) * L * dim),
        }));
        return transferring(results, results.map((r) => r.data.buffer as ArrayBuffer));
      },
    },
    close: () => encoder.release(),
  };
});
