/**
 * `vace-live serve` (the default command): loads a model preset, registers it as the live
 * server's generator and starts the server (src/cli/serve.ts startServer). The server module is
 * imported lazily so `models` and `render` never load the HTTP/WebRTC stack.
 */
import { parseArgs } from 'node:util';
import { GeneratorRegistry, registerPreset } from '../stream/generators.ts';
import { resolveDevice, resolveDtype } from '../model/runtime/device.ts';
import { onceLogger } from './device.ts';
import { integerFlag, MODEL_FLAG_OPTIONS, modelFlagsHelp, parseModelFlags } from './model-flags.ts';
import { asCliError, CliError, logTo, processIO, type CliIO } from './io.ts';
import { PresetLoadError } from '../presets/load.ts';
import { loadPresetInWorker } from '../presets/model-worker.ts';
import { startServer } from './serve.ts';
import { ACCESS_FLAG_OPTIONS, ACCESS_FLAGS_HELP, parseAccessFlags } from './access-flags.ts';

export const SERVE_USAGE = `usage: vace-live [serve] [options]

Starts the live server (browser client, WebRTC/WHIP/WHEP, REST + WebSocket parameters) with a
model preset loaded. The demo preset needs no download: its random weights are generated on
first start (a few seconds) and its output is abstract texture.

options:
  --host ADDR          listen address (default 127.0.0.1)
  --port N             listen port (default 8080)
  --max-sessions N     concurrent sessions (default: the server's)
${ACCESS_FLAGS_HELP}
${modelFlagsHelp(23)}
  -h, --help           this text`;

export interface ServeHandle {
  url: string;
  stop(): Promise<void>;
}

/** Starts the server and returns once it listens; `stop()` closes it and releases the models. */
export async function runServeCommand(argv: string[], io: CliIO = processIO, opts: { handleSignals?: boolean; httpLog?: boolean } = {}): Promise<ServeHandle | undefined> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'max-sessions': { type: 'string' },
        ...ACCESS_FLAG_OPTIONS,
        ...MODEL_FLAG_OPTIONS,
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (e) {
    throw new CliError(`${(e as Error).message} (see vace-live serve --help)`);
  }
  if (values.help) {
    io.stdout.write(SERVE_USAGE + '\n');
    return undefined;
  }
  const port = integerFlag('port', values.port, 0, 65535);
  const maxSessions = integerFlag('max-sessions', values['max-sessions'], 1, 1024);
  // Before any model is loaded: a server that would be open to the network never gets that far.
  let accessFlags;
  try {
    accessFlags = parseAccessFlags(values);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const { preset, device: choice, dtype: dtypeChoice, threads, modelsDir, textWeights } = parseModelFlags(values);
  const log = onceLogger(logTo(io));
  const { device } = await resolveDevice(choice, log);
  const dtype = resolveDtype(dtypeChoice, device);
  // The models run on their own thread so that no model run ever blocks WebRTC or HTTP here.
  const bundle = await asCliError(() => loadPresetInWorker({ preset, modelsDir, device, dtype, threads, textWeights, log }), [PresetLoadError]);
  // Two throwaway chunks now, so the first viewer does not wait through ORT's first runs.
  const w0 = performance.now();
  try {
    await bundle.warmUp();
  } catch (e) {
    await bundle.release();
    throw new CliError(`preset "${bundle.preset}" failed its warm-up chunk: ${(e as Error).message.split('\n')[0]}`);
  }
  log(`warm-up done in ${((performance.now() - w0) / 1000).toFixed(1)} s`);
  const registry = new GeneratorRegistry();
  // The registry lists bundle.devices in /api/models: where the models really run, after any fallback.
  registerPreset(registry, bundle, { makeDefault: true });
  let running;
  try {
    running = await startServer({ host: values.host, port, maxSessions, generators: registry, modelsDir, logger: opts.httpLog ?? true, ...accessFlags });
  } catch (e) {
    await bundle.release();
    throw new CliError(`the server could not start: ${(e as Error).message.split('\n')[0]}`);
  }
  log(`vace-live is live at ${running.url} (preset ${bundle.preset}${bundle.randomWeights ? ': random weights, abstract output' : ''})`);
  if (accessFlags.token !== undefined) log('every request needs the access token (Authorization: Bearer <token>, or ?token=<token> in the page URL)');
  else if (accessFlags.insecureNoToken) log(`WARNING: no access token: anyone who can reach ${running.url} can use this server`);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await running.close();
      await bundle.release();
    })());
  if (opts.handleSignals) {
    const onSignal = () => void stop().then(() => process.exit(0));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { url: running.url, stop };
}
