/**
 * What a worker thread and its client (worker-client.ts) agree on, and the envelope messages
 * that carry it (worker-service.ts answers them). A protocol is declared once as a type and
 * used on both ends, so a call's argument and result are checked at both.
 */

/** One call a worker answers: the argument it takes and the result it gives back. */
export interface WorkerCall<Arg = unknown, Result = unknown> {
  readonly arg: Arg;
  readonly result: Result;
}

export interface WorkerProtocol {
  /** Given to the worker when it starts (structured-cloned). */
  readonly init: unknown;
  /** What the worker reports once it has started (e.g. the device it runs on). */
  readonly ready: unknown;
  /** The calls it answers, by name. Declare with a type literal, e.g. `{ encode: WorkerCall<string[], X> }`. */
  readonly calls: Record<string, WorkerCall>;
}

export type CallName<P extends WorkerProtocol> = keyof P['calls'] & string;
export type CallArg<P extends WorkerProtocol, K extends CallName<P>> = P['calls'][K]['arg'];
export type CallResult<P extends WorkerProtocol, K extends CallName<P>> = P['calls'][K]['result'];

/** The worker's workerData: the module worker-boot.mjs loads, and that module's init. */
export interface BootData {
  readonly entry: string;
  readonly init: unknown;
}

/** Client → worker. */
export type ClientMessage =
  | { readonly kind: 'call'; readonly id: number; readonly name: string; readonly arg: unknown }
  | { readonly kind: 'close' };

/**
 * Worker → client. `ready` or `start-error` comes first, once (only `log` lines may precede it);
 * `closed` answers `close`.
 */
export type ServiceMessage =
  | { readonly kind: 'log'; readonly line: string }
  | { readonly kind: 'ready'; readonly info: unknown }
  | { readonly kind: 'start-error'; readonly message: string }
  | { readonly kind: 'result'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'failure'; readonly id: number; readonly message: string }
  | { readonly kind: 'closed' };
