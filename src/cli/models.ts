/**
 * `vace-live models list|status|download|verify|remove <preset>`: the weight store
 * (src/weight-store) from the terminal, over the presets of the catalogue (src/presets/catalog.ts). Downloads show a progress bar on stderr; Ctrl-C stops a
 * download and keeps the .part file, so running the same command again resumes it.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createTerminalProgress,
  defaultModelsDir,
  downloadPreset,
  formatBytes,
  ModelDownloadError,
  presetStatus,
  removePreset,
  verifyPreset,
  type Preset,
  type PresetStatus,
} from '../weight-store/index.ts';
import { getPreset, listPresets } from '../presets/catalog.ts';
import { DEMO_VERSION } from '../presets/demo.ts';
import { CliError, type CliIO, processIO } from './io.ts';

export const MODELS_USAGE = `usage: vace-live models <action> [preset] [options]

actions:
  list                  the presets and whether each is ready
  status <preset>       every file of the preset: verified, present, partial or missing (no hashing, works offline)
  download <preset>     fetch what is missing (resumes .part files, checks free disk space, verifies sha256)
  verify <preset>       hash every file and compare with the registry (or the hash trusted on first download)
  remove <preset>       delete the preset's files (files another preset also lists are kept)

options:
  --models-dir DIR      where weights live (default $VACE_MODELS_DIR or ~/.cache/vace-live/models)
  --hub-url URL         Hugging Face hub base URL (default $VACE_HUB_URL or https://huggingface.co)
  --json                print the result as JSON on stdout
  -h, --help            this text

The demo preset downloads nothing: its random weights are generated on first start.`;

interface ModelsOptions {
  modelsDir: string;
  hubUrl?: string;
  json: boolean;
}

function findPreset(name: string | undefined, action: string): Preset {
  if (!name) throw new CliError(`models ${action} needs a preset name (one of: ${listPresets().map((p) => p.name).join(', ')})`);
  try {
    return getPreset(name);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}

/** Where a generated preset keeps its files, and whether they have been generated. */
function generatedState(p: Preset, modelsDir: string): { dir: string; generated: boolean } {
  const dir = join(modelsDir, p.generatedDir ?? p.name, `v${DEMO_VERSION}`);
  return { dir, generated: existsSync(join(dir, 'complete.json')) };
}

function statusWord(s: PresetStatus): string {
  if (s.kind === 'generated') return 'ready (generated)';
  if (s.ready) return 'ready';
  const have = s.files.filter((f) => f.state === 'verified' || f.state === 'present').length;
  const todo = s.bytesToDownload > 0 ? `, ${formatBytes(s.bytesToDownload)} to download` : '';
  const unknown = s.unknownSizes > 0 ? ` + ${s.unknownSizes} file(s) of unknown size` : '';
  return `not downloaded (${have}/${s.files.length} files${todo}${unknown})`;
}

async function list(o: ModelsOptions, io: CliIO): Promise<void> {
  const rows = await Promise.all(listPresets().map(async (p) => ({ preset: p, status: await presetStatus(p, { modelsDir: o.modelsDir }) })));
  if (o.json) {
    io.stdout.write(JSON.stringify(rows.map(({ preset: p, status }) => ({ name: p.name, kind: p.kind, title: p.title, ready: status.ready, bytesToDownload: status.bytesToDownload, unknownSizes: status.unknownSizes })), null, 2) + '\n');
    return;
  }
  io.stdout.write(`models directory: ${o.modelsDir}\n`);
  const w = Math.max(...rows.map((r) => r.preset.name.length));
  for (const { preset: p, status } of rows) {
    io.stdout.write(`  ${p.name.padEnd(w)}  ${p.title}  — ${statusWord(status)}\n`);
  }
}

async function status(p: Preset, o: ModelsOptions, io: CliIO): Promise<void> {
  const s = await presetStatus(p, { modelsDir: o.modelsDir });
  const gen = p.kind === 'generated' ? generatedState(p, o.modelsDir) : undefined;
  if (o.json) {
    io.stdout.write(JSON.stringify({ ...s, ...(gen ? { generatedDir: gen.dir, generated: gen.generated } : {}) }, null, 2) + '\n');
    return;
  }
  io.stdout.write(`${p.name}: ${p.title}\n${p.description}\n`);
  if (gen) {
    io.stdout.write(
      gen.generated
        ? `weights: generated in ${gen.dir}\n`
        : `weights: not generated yet; they are created in ${gen.dir} on first start (a few seconds, no download)\n`,
    );
    return;
  }
  io.stdout.write(`status: ${statusWord(s)}\n`);
  const w = Math.max(...s.files.map((f) => f.state.length));
  for (const f of s.files) {
    const size = f.expectedSize !== null ? formatBytes(f.expectedSize) : 'size unknown';
    const disk = f.state === 'partial' ? `, ${formatBytes(f.bytesOnDisk)} so far` : '';
    io.stdout.write(`  ${f.state.padEnd(w)}  ${f.local}  (${f.role}, ${size}${disk})\n`);
  }
  if (!s.ready) io.stdout.write(`run \`vace-live models download ${p.name}\` to fetch the missing files\n`);
}

async function download(p: Preset, o: ModelsOptions, io: CliIO): Promise<void> {
  if (p.kind === 'generated') {
    io.stdout.write(`${p.name} downloads nothing: its weights are generated on first start in ${generatedState(p, o.modelsDir).dir}\n`);
    return;
  }
  const bar = createTerminalProgress(io.stderr);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const r = await downloadPreset(p, { modelsDir: o.modelsDir, hubUrl: o.hubUrl, onProgress: bar.onProgress, signal: abort.signal });
    bar.finish();
    if (o.json) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      const fetched = r.files.filter((f) => f.outcome === 'downloaded' || f.outcome === 'resumed').length;
      io.stdout.write(`${p.name}: ${r.files.length} file(s) ready (${fetched} fetched now) in ${o.modelsDir}\n`);
      const tofu = r.files.filter((f) => f.trust === 'first-use');
      if (tofu.length) io.stdout.write(`${tofu.length} file(s) have no published sha256: their hash was recorded now and is checked from here on\n`);
    }
  } catch (e) {
    bar.finish();
    if (e instanceof ModelDownloadError) {
      const hint = e.resumable ? ' (run the same command again to resume)' : '';
      throw new CliError(`${e.message}${hint}`);
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

async function verify(p: Preset, o: ModelsOptions, io: CliIO): Promise<void> {
  const bar = createTerminalProgress(io.stderr);
  let r;
  try {
    r = await verifyPreset(p, { modelsDir: o.modelsDir, onProgress: bar.onProgress });
  } finally {
    bar.finish();
  }
  if (o.json) io.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else {
    if (p.kind === 'generated') io.stdout.write(`${p.name}: generated weights, nothing to verify\n`);
    for (const f of r.files) io.stdout.write(`  ${f.outcome.padEnd(17)}  ${f.local}${f.sha256 ? `  sha256 ${f.sha256}` : ''}\n`);
  }
  if (!r.ok) {
    const bad = r.files.filter((f) => f.outcome !== 'ok' && f.outcome !== 'trusted-first-use');
    throw new CliError(`${p.name}: ${bad.length} file(s) failed verification (${bad.map((f) => `${f.local}: ${f.outcome}`).join('; ')}); \`vace-live models download ${p.name}\` fetches them again`);
  }
}

async function remove(p: Preset, o: ModelsOptions, io: CliIO): Promise<void> {
  const r = await removePreset(p, { modelsDir: o.modelsDir, presets: listPresets() });
  if (o.json) {
    io.stdout.write(JSON.stringify(r, null, 2) + '\n');
    return;
  }
  io.stdout.write(`${p.name}: removed ${r.removed.length} file(s), ${formatBytes(r.bytesFreed)} freed\n`);
  if (r.keptShared.length) io.stdout.write(`kept (another preset uses them): ${r.keptShared.join(', ')}\n`);
  if (r.busy.length) io.stdout.write(`kept (being downloaded right now): ${r.busy.join(', ')}\n`);
  if (p.kind === 'generated') io.stdout.write(`generated weights in ${generatedState(p, o.modelsDir).dir} are not removed by this command; delete the folder to regenerate them\n`);
}

export async function runModelsCommand(argv: string[], io: CliIO = processIO): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'models-dir': { type: 'string' },
        'hub-url': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
  } catch (e) {
    throw new CliError(`${(e as Error).message}\n${MODELS_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [action, name, ...extra] = positionals;
  if (values.help || !action) {
    io.stdout.write(MODELS_USAGE + '\n');
    return;
  }
  if (extra.length) throw new CliError(`unexpected arguments: ${extra.join(' ')}`);
  const o: ModelsOptions = { modelsDir: resolve(values['models-dir'] ?? defaultModelsDir()), hubUrl: values['hub-url'], json: values.json };
  switch (action) {
    case 'list':
      return list(o, io);
    case 'status':
      return status(findPreset(name, action), o, io);
    case 'download':
      return download(findPreset(name, action), o, io);
    case 'verify':
      return verify(findPreset(name, action), o, io);
    case 'remove':
      return remove(findPreset(name, action), o, io);
    default:
      throw new CliError(`unknown models action "${action}" (list, status, download, verify, remove)`);
  }
}
