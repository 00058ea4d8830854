/**
 * `vace-live`: the command line. `serve` (the default) runs the live server; `render` runs the
 * same pipeline offline on a file; `models` manages weights; `graph` writes a model graph as
 * .onnx. User mistakes print one line and exit 1 — a stack trace only with VACE_DEBUG=1.
 */
import { pathToFileURL } from 'node:url';
import { CliError, processIO, type CliIO } from './io.ts';

export const MAIN_USAGE = `usage: vace-live [command] [options]

commands:
  serve      start the live server with a model preset (the default when no command is given)
  render     render a video file offline: vace-live render --input in.mp4 --prompt "…" --out out.mp4
  models     list | status | download | verify | remove <preset>: manage model weights
  graph      write one of our model graphs as .onnx (for Netron / onnx.checker)

\`vace-live <command> --help\` describes each command's options.`;

const COMMANDS = ['serve', 'render', 'models', 'graph'] as const;

/** The command argv names: its first word, or serve when there is none (or only options). */
export function commandOf(argv: readonly string[]): string {
  const first = argv[0];
  return first === undefined || first.startsWith('-') ? 'serve' : first;
}

/** Runs a command; resolves to the exit code. A running server keeps the process alive after it resolves. */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(MAIN_USAGE + '\n');
    return 0;
  }
  const command = commandOf(argv);
  const args = command === first ? rest : argv;
  try {
    switch (command) {
      case 'serve': {
        const { runServeCommand } = await import('./serve-command.ts');
        await runServeCommand(args, io, { handleSignals: true });
        return 0;
      }
      case 'render': {
        const { runRenderCommand } = await import('./render.ts');
        await runRenderCommand(args, io);
        return 0;
      }
      case 'models': {
        const { runModelsCommand } = await import('./models.ts');
        await runModelsCommand(args, io);
        return 0;
      }
      case 'graph': {
        const { GRAPH_USAGE, runGraphCommand } = await import('./graph.ts');
        if (args.includes('--help') || args.includes('-h')) {
          io.stdout.write(GRAPH_USAGE + '\n');
          return 0;
        }
        const r = runGraphCommand(args);
        io.stdout.write(`wrote ${r.out}: ${r.nodes} nodes, ${r.weightBytes} weight bytes (model ${r.modelBytes} B + data ${r.dataBytes} B)\n`);
        return 0;
      }
      default:
        throw new CliError(`unknown command "${command}" (commands: ${COMMANDS.join(', ')}; see vace-live --help)`);
    }
  } catch (e) {
    const err = e as Error;
    const message = (err?.message ?? String(e)).trim();
    // CliErrors are complete sentences; anything else gets its first line (the rest is for VACE_DEBUG).
    const text = err instanceof CliError ? message : message.split('\n')[0];
    io.stderr.write(`vace-live ${command}: ${text}\n`);
    if (process.env.VACE_DEBUG && err?.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  void runCli(argv).then((code) => {
    // A server keeps running; every other command is done (exit even if a native handle lingers).
    if (code !== 0 || commandOf(argv) !== 'serve' || argv.includes('--help') || argv.includes('-h')) process.exit(code);
  });
}
