/**
 * Entry point of the text-encoder worker thread: loads the tokenizer and the UMT5 encoder once,
 * then answers encode requests one at a time. Errors are sent back as messages; the worker
 * only exits when asked to close.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseUmt5Config } from './config.ts';
import { Umt5Encoder } from './encoder.ts';
import type { EncodedPromptMessage, EncoderWorkerInit, FromWorker, ToWorker } from './encoder-worker-protocol.ts';
import { Umt5Tokenizer } from './tokenizer.ts';

if (!parentPort) throw new Error('encoder-worker-main.ts must run as a worker thread');
const port = parentPort;

const send = (msg: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(msg, transfer);

async function main(init: EncoderWorkerInit): Promise<void> {
  let tokenizer: Umt5Tokenizer;
  let encoder: Umt5Encoder;
  try {
    const cfg = parseUmt5Config(init.config, `text encoder config for ${init.weightsPath}`);
    tokenizer = Umt5Tokenizer.fromFile(init.tokenizerPath, { textLen: cfg.text_len });
    encoder = await Umt5Encoder.open(init.weightsPath, cfg, { ...init.session, cacheDir: init.cacheDir });
  } catch (e) {
    send({ type: 'init-error', message: (e as Error).message });
    return;
  }
  // Requests are serialised: one encode at a time keeps the worker's CPU use bounded.
  let queue = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if (msg.type === 'close') {
      queue = queue.then(async () => {
        await encoder.release();
        port.close();
      });
      return;
    }
    queue = queue.then(async () => {
      try {
        const batch = tokenizer.encodeBatch(msg.prompts);
        const embeds = await encoder.encodePromptEmbeds(batch.ids, batch.mask);
        const [, L, dim] = embeds.shape as [number, number, number];
        const results: EncodedPromptMessage[] = batch.prompts.map((p, b) => ({
          text: p.text,
          length: p.length,
          truncatedTokens: p.truncatedTokens,
          shape: [L, dim],
          data: embeds.data.slice(b * L * dim, (b + 1) * L * dim),
        }));
        send({ type: 'encoded', id: msg.id, results }, results.map((r) => r.data.buffer as ArrayBuffer));
      } catch (e) {
        send({ type: 'encode-error', id: msg.id, message: (e as Error).message });
      }
    });
  });
  send({ type: 'ready', device: encoder.device });
}

void main(workerData as EncoderWorkerInit);
