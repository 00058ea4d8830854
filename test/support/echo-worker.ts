/** A tiny worker for the WorkerClient tests (started by worker-client.test.ts). */
import { writeFileSync } from 'node:fs';
import { serveWorker, transferring } from '../../src/model/runtime/worker-service.ts';
import type { EchoProtocol } from './echo-worker-protocol.ts';

serveWorker<EchoProtocol>((init) => {
  if (init.failStart) throw new Error(init.failStart);
  return {
    ready: { greeting: 'hello from the worker' },
    calls: {
      echo: (s) => `echo: ${s}`,
      double: (v) => {
        const out = v.map((x) => 2 * x);
        return transferring(out, [out.buffer as ArrayBuffer]);
      },
      fail: (message) => {
        throw new Error(message);
      },
      hang: () => new Promise<never>(() => {}),
      crash: (message) => {
        setImmediate(() => {
          throw new Error(message);
        });
        return new Promise<never>(() => {});
      },
      exit: (code) => process.exit(code),
    },
    close: () => {
      if (init.closedMarker) writeFileSync(init.closedMarker, 'closed');
    },
  };
});
