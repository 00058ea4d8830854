// Worker entry: lets the worker thread load our TypeScript modules (the main thread runs under
// tsx; worker threads do not inherit its loader), then starts the control worker.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
