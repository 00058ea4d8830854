/**
 * What every subcommand writes to, so tests can capture output, and the error type for mistakes
 * the user made (bad flag, missing file): main prints its message as one line and exits 1.
 */
export interface CliStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIO {
  stdout: CliStream;
  stderr: CliStream;
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr };

/** A user-facing failure: printed as `vace-live <command>: <message>`, never with a stack trace. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** Runs `f`; an error of one of `userErrors` (the user's to fix, its message says how) becomes a CliError. */
export async function asCliError<T>(f: () => Promise<T>, userErrors: readonly (new (...a: never[]) => Error)[]): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (userErrors.some((E) => e instanceof E)) throw new CliError((e as Error).message);
    throw e;
  }
}

/** Log lines of long-running commands go to stderr so stdout stays clean for data (e.g. --json). */
export function logTo(io: CliIO): (msg: string) => void {
  return (msg) => void io.stderr.write(`${msg}\n`);
}
