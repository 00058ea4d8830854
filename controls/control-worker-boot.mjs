// Worker entry: lets the worker thread load our TypeScript modules (the main thread runs under
// tsx; worker threads do not inherit its loader), then starts the control worker. A compiled
// (.js) entry needs no loader.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
