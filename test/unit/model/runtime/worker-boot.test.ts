import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { BootData, ServiceMessage } from '../../../../src/model/runtime/worker-protocol.ts';

// worker-boot.mjs is driven here the way WorkerClient.start drives it: as a Worker's own file,
// with the entry module and its init in workerData.
const BOOT = new URL('../../../../src/model/runtime/worker-boot.mjs', import.meta.url);
const ECHO_ENTRY = new URL('../../../support/echo-worker.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'worker-boot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a bare worker on the boot file; resolves with its first message, or rejects with its error. */
function firstMessage(data: BootData): Promise<{ message: unknown; worker: Worker }> {
  const worker = new Worker(BOOT, { workerData: data });
  return new Promise((resolve, reject) => {
    worker.once('message', (message) => resolve({ message, worker }));
    worker.once('error', (e) => {
      void worker.terminate();
      reject(e);
    });
    worker.once('exit', (code) => reject(new Error(`worker exited (code ${code}) without a message`)));
  });
}

describe('worker-boot.mjs', () => {
  it('loads a TypeScript entry (registering tsx in the worker thread), which then serves calls', async () => {
    const { message, worker } = await firstMessage({ entry: ECHO_ENTRY.href, init: {} });
    try {
      expect(message).toEqual({ kind: 'ready', info: { greeting: 'hello from the worker' } } satisfies ServiceMessage);
      const answer = new Promise((resolve) => worker.once('message', resolve));
      worker.postMessage({ kind: 'call', id: 7, name: 'echo', arg: 'hi' });
      expect(await answer).toEqual({ kind: 'result', id: 7, value: 'echo: hi' } satisfies ServiceMessage);
    } finally {
      await worker.terminate();
    }
  });

  it('loads a plain JavaScript entry as it is', async () => {
    const entry = join(dir, 'plain.mjs');
    writeFileSync(entry, "import { parentPort, workerData } from 'node:worker_threads';\nparentPort.postMessage({ got: workerData.init });\n");
    const { message, worker } = await firstMessage({ entry: pathToFileURL(entry).href, init: { n: 3 } });
    await worker.terminate();
    expect(message).toEqual({ got: { n: 3 } });
  });

  it('fails the worker with an error naming an entry that cannot be loaded', async () => {
    const missing = pathToFileURL(join(dir, 'no-such-entry.ts')).href;
    await expect(firstMessage({ entry: missing, init: {} })).rejects.toThrow(/no-such-entry\.ts/);
  });

  it('refuses, with a clear error, to run anywhere but a worker started with an entry', async () => {
    // @ts-expect-error worker-boot.mjs has no type declarations: product code only ever names it as a Worker's file
    const loading = import('../../../../src/model/runtime/worker-boot.mjs');
    await expect(loading).rejects.toThrow(/entry of a worker thread started by WorkerClient\.start/);
    await expect(firstMessage({ init: {} } as unknown as BootData)).rejects.toThrow(/loaded without one/);
  });
});
