/**
 * The worker-thread side of WorkerClient: `serveWorker(start)` builds the service from the
 * client's init, reports `ready` (or the start error), then answers calls one at a time in the
 * order they were sent, and on `close` frees the service after the calls sent before it.
 * A call that throws is answered with its error message; the worker keeps serving.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { BootData, CallArg, CallName, CallResult, ClientMessage, ServiceMessage, WorkerProtocol } from './worker-protocol.ts';

/** A result whose buffers move to the client instead of being copied. */
export class Transferred<T> {
  constructor(
    readonly value: T,
    readonly transfer: readonly ArrayBuffer[],
  ) {}
}

export function transferring<T>(value: T, transfer: readonly ArrayBuffer[]): Transferred<T> {
  return new Transferred(value, transfer);
}

type Answer<T> = T | Transferred<T>;

export type CallHandlers<P extends WorkerProtocol> = {
  readonly [K in CallName<P>]: (arg: CallArg<P, K>) => Answer<CallResult<P, K>> | Promise<Answer<CallResult<P, K>>>;
};

export interface WorkerService<P extends WorkerProtocol> {
  readonly ready: P['ready'];
  readonly calls: CallHandlers<P>;
  /** Frees what the service holds (ORT sessions); runs after every call sent before close. */
  close?(): Promise<void> | void;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * `start` gets the client's init and a `log` that sends a line to the client's onLog (progress of
 * a long load, e.g. a weight conversion, shown as it happens rather than after).
 */
export function serveWorker<P extends WorkerProtocol>(start: (init: P['init'], log: (line: string) => void) => WorkerService<P> | Promise<WorkerService<P>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker() must run on a worker thread (start it with WorkerClient.start)');
  const send = (m: ServiceMessage, transfer: readonly ArrayBuffer[] = []) => port.postMessage(m, transfer);

  const answer = async (service: WorkerService<P>, m: Extract<ClientMessage, { kind: 'call' }>): Promise<void> => {
    try {
      if (!Object.hasOwn(service.calls, m.name)) throw new Error(`unknown call '${m.name}'`);
      const handler = service.calls[m.name as CallName<P>] as (arg: unknown) => unknown;
      const out = await handler(m.arg);
      if (out instanceof Transferred) send({ kind: 'result', id: m.id, value: out.value }, out.transfer);
      else send({ kind: 'result', id: m.id, value: out });
    } catch (e) {
      send({ kind: 'failure', id: m.id, message: messageOf(e) });
    }
  };

  const shutDown = async (service: WorkerService<P>): Promise<void> => {
    try {
      await service.close?.();
    } finally {
      send({ kind: 'closed' });
      port.close();
    }
  };

  void (async () => {
    let service: WorkerService<P>;
    try {
      service = await start((workerData as BootData).init as P['init'], (line) => send({ kind: 'log', line: String(line) }));
    } catch (e) {
      send({ kind: 'start-error', message: messageOf(e) });
      port.close();
      return;
    }
    // One call at a time keeps the worker's CPU use and memory bounded; the chain cannot grow
    // without limit because the client holds at most maxPending unanswered calls.
    let queue = Promise.resolve();
    port.on('message', (m: ClientMessage) => {
      queue = queue.then(() => (m.kind === 'close' ? shutDown(service) : answer(service, m)));
    });
    send({ kind: 'ready', info: service.ready });
  })();
}
