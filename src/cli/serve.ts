/**
 * `startServer(opts)`: the live server as a function (tests and the `vace-live` CLI call it),
 * plus a thin command line when this file is run directly:
 *   tsx src/cli/serve.ts [--host 127.0.0.1] [--port 8080] [--max-sessions 8] [--token T] [--cors-origin O]…
 */
import { parseArgs as parseFlags } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { AnnotatorWeights } from '../../controls/annotator-weights.ts';
import { controlNeedsWeights, createControl, listControls } from '../../controls/registry.ts';
import { annotatorWorkerSpec, DeferredThreadedControl } from '../../controls/threaded-control.ts';
import { listPresets } from '../presets/catalog.ts';
import { defaultModelsDir, presetStatus } from '../weight-store/index.ts';
import { modelsFolderAnnotatorWeights } from './annotator-weights.ts';
import { buildApp, type App } from '../server/app.ts';
import { checkExposure, isLoopbackHost } from '../server/exposure.ts';
import { ACCESS_FLAG_OPTIONS, ACCESS_FLAGS_HELP, parseAccessFlags } from './access-flags.ts';
import { generators as defaultGenerators, type GeneratorRegistry } from '../stream/generators.ts';
import type { ControlSource } from '../stream/session-pipeline.ts';

export interface StartServerOptions {
  readonly host?: string;
  readonly port?: number;
  readonly maxSessions?: number;
  readonly clientDir?: string;
  readonly generators?: GeneratorRegistry;
  readonly controls?: ControlSource;
  /** Where weights live: the preset list's download state and the annotators' checkpoints (default: defaultModelsDir()). */
  readonly modelsDir?: string;
  /** Where depth/scribble find their checkpoints (default: the models folder's). */
  readonly annotatorWeights?: AnnotatorWeights;
  readonly logger?: boolean;
  /** Every request must present it (src/server/access.ts). Required for a non-loopback host. */
  readonly token?: string;
  /** Listen on a non-loopback host without a token anyway. */
  readonly insecureNoToken?: boolean;
  /** Origins whose pages may call the server (parsed, see src/server/cors.ts); default none: same-origin only. */
  readonly corsOrigins?: readonly string[];
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly app: App;
  close(): Promise<void>;
}

/**
 * Controls for live sessions. The annotators that need weights (depth, scribble) run on their own
 * worker thread, so chunk n+1's control is computed while the generator works on chunk n; their
 * options and checkpoint are checked on this thread first (missing weights fail the update right
 * away), without building or loading anything here.
 */
export function registryControls(weights: AnnotatorWeights): ControlSource {
  return {
    list: listControls,
    create: (id) => (controlNeedsWeights(id) ? new DeferredThreadedControl(annotatorWorkerSpec(id, weights)) : createControl(id, undefined, { weights })),
  };
}

/** The catalogue's presets with their download state in `modelsDir`. */
function presetLister(modelsDir: string): () => Promise<unknown[]> {
  return async () => {
    let presets: ReturnType<typeof listPresets>;
    try {
      presets = listPresets();
    } catch {
      return [];
    }
    return Promise.all(
      presets.map(async (p) => {
        const status = await presetStatus(p, { modelsDir }).catch(() => undefined);
        return {
          name: p.name,
          title: p.title,
          kind: p.kind,
          description: p.description,
          ready: status?.ready ?? null,
          bytesToDownload: status?.bytesToDownload ?? null,
          unknownSizes: status?.unknownSizes ?? null,
        };
      }),
    );
  };
}

export async function startServer(opts: StartServerOptions = {}): Promise<RunningServer> {
  checkExposure({ host: opts.host, token: opts.token, insecureNoToken: opts.insecureNoToken });
  const host = opts.host ?? '127.0.0.1';
  const modelsDir = opts.modelsDir ?? defaultModelsDir();
  const app = buildApp({
    controls: opts.controls ?? registryControls(opts.annotatorWeights ?? modelsFolderAnnotatorWeights(modelsDir)),
    generators: opts.generators ?? defaultGenerators,
    maxSessions: opts.maxSessions,
    clientDir: opts.clientDir,
    listPresets: presetLister(modelsDir),
    logger: opts.logger,
    access: {
      token: opts.token,
      corsOrigins: opts.corsOrigins,
      // Open on loopback: only pages that address it as localhost may (no DNS rebinding).
      loopbackHostsOnly: opts.token === undefined && isLoopbackHost(host),
    },
  });
  await app.fastify.listen({ host, port: opts.port ?? 8080 });
  const addr = app.fastify.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? 8080);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    app,
    close: () => app.fastify.close(),
  };
}

const USAGE = `usage: tsx src/cli/serve.ts [options]
  --host ADDR          listen address (default 127.0.0.1)
  --port N             listen port (default 8080)
  --max-sessions N     concurrent sessions (default 8)
${ACCESS_FLAGS_HELP}`;

function parseArgs(argv: string[]): StartServerOptions {
  const { values } = parseFlags({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'max-sessions': { type: 'string' },
      ...ACCESS_FLAG_OPTIONS,
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a whole number, got '${value}'`);
    return n;
  };
  return { host: values.host, port: num('port', values.port), maxSessions: num('max-sessions', values['max-sessions']), ...parseAccessFlags(values) };
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  let opts: StartServerOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  // werift runs network input through many callbacks; one malformed packet that throws inside
  // them must not take every other session down with it. Log it and keep serving.
  process.on('uncaughtException', (err) => console.error('uncaught exception (server keeps running):', err));
  process.on('unhandledRejection', (err) => console.error('unhandled rejection (server keeps running):', err));
  const server = await startServer({ ...opts, logger: true });
  console.log(`vace-live server on ${server.url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
