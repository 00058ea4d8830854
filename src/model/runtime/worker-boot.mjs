// The one entry of every worker thread we start (worker-client.ts). Node cannot load a .ts
// module by itself, and a worker does not inherit the loader the main thread runs under (tsx's
// register(), vitest's transform), so a TypeScript entry registers tsx's loader in this thread
// first. A compiled (.js) entry needs none. A failure to load the entry is an uncaught error of
// the worker, which the client reports as a failed start.
import { workerData } from 'node:worker_threads';

const entry = workerData?.entry;
if (typeof entry !== 'string') {
  throw new Error('worker-boot.mjs is the entry of a worker thread started by WorkerClient.start (workerData.entry: the module URL to load); it was loaded without one');
}
if (new URL(entry).pathname.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
