/** The protocol of echo-worker.ts, the tiny worker the WorkerClient tests drive. */
import type { WorkerCall } from '../../src/model/runtime/worker-protocol.ts';

export type EchoProtocol = {
  init: {
    /** Makes the start fail with this message. */
    readonly failStart?: string;
    /** close() writes this file, so a test can see that the service was freed. */
    readonly closedMarker?: string;
  };
  ready: { readonly greeting: string };
  calls: {
    echo: WorkerCall<string, string>;
    /** Doubles the values and moves the buffer back. */
    double: WorkerCall<Float32Array, Float32Array>;
    fail: WorkerCall<string, never>;
    /** Never answers (the queue behind it waits too). */
    hang: WorkerCall<null, never>;
    /** Throws outside any call, which kills the worker. */
    crash: WorkerCall<string, never>;
    exit: WorkerCall<number, never>;
  };
};
