/**
 * The access flags of `vace-live serve` and `tsx src/cli/serve.ts`: --token (else $VACE_TOKEN),
 * --cors-origin (repeatable, or a comma list), --insecure-no-token. Checked before anything is
 * loaded, so a server that would be open to the network never starts.
 */
import { checkTokenFormat } from '../server/access-token.ts';
import { parseCorsOrigins } from '../server/cors.ts';
import { checkExposure } from '../server/exposure.ts';

export interface AccessFlags {
  readonly token?: string;
  readonly corsOrigins: string[];
  readonly insecureNoToken: boolean;
}

/** The access flags' parseArgs options (both commands spread them into their own). */
export const ACCESS_FLAG_OPTIONS = {
  token: { type: 'string' },
  'cors-origin': { type: 'string', multiple: true },
  'insecure-no-token': { type: 'boolean' },
} as const;

export const ACCESS_FLAGS_HELP = `  --token TOKEN        every request needs it (Authorization: Bearer TOKEN or ?token=TOKEN);
                       default $VACE_TOKEN. Required with a --host other than loopback
  --insecure-no-token  listen on a non-loopback --host without a token (anyone on the network may use it)
  --cors-origin ORIGIN let pages from ORIGIN (scheme://host[:port]) call the API; repeatable or a comma list`;

/** Throws a one-line Error (the token, origin or exposure problem) for flags that do not fit together. */
export function parseAccessFlags(
  values: { host?: string; token?: string; 'cors-origin'?: string[]; 'insecure-no-token'?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): AccessFlags {
  const fromEnv = env.VACE_TOKEN === '' ? undefined : env.VACE_TOKEN;
  const token = values.token ?? fromEnv;
  if (token !== undefined) checkTokenFormat(token, values.token !== undefined ? '--token' : 'VACE_TOKEN');
  const insecureNoToken = values['insecure-no-token'] ?? false;
  checkExposure({ host: values.host, token, insecureNoToken });
  return { token, corsOrigins: parseCorsOrigins(values['cors-origin'] ?? []), insecureNoToken };
}
