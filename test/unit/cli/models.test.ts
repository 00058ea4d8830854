/** `vace-live models`: list and status run offline on an empty models folder; bad presets are one clear error. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../../../src/cli/io.ts';
import { runModelsCommand } from '../../../src/cli/models.ts';
import { listPresets } from '../../../src/presets/catalog.ts';
import { ensureDemoFiles } from '../../../src/presets/demo.ts';
import { captureIO } from '../../support/cli-io.ts';

const modelsDir = mkdtempSync(join(tmpdir(), 'vace-models-cli-'));
afterAll(() => rmSync(modelsDir, { recursive: true, force: true }));
// A hub nobody listens on: any network access would fail the command.
process.env.VACE_HUB_URL = 'http://127.0.0.1:9';

describe('vace-live models', () => {
  it('list prints every preset of the registry (demo and longlive-1.3b) with its state', async () => {
    const io = captureIO();
    await runModelsCommand(['list', '--models-dir', modelsDir], io);
    const names = listPresets().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['demo', 'longlive-1.3b']));
    for (const p of listPresets()) expect(io.out()).toContain(`${p.name}`);
    expect(io.out()).toMatch(/demo\s+.*ready \(generated\)/);
    expect(io.out()).toMatch(/longlive-1\.3b\s+.*not downloaded \(0\/\d+ files/);
  });

  it('list --json is machine-readable', async () => {
    const io = captureIO();
    await runModelsCommand(['list', '--json', '--models-dir', modelsDir], io);
    const rows = JSON.parse(io.out()) as { name: string; ready: boolean }[];
    expect(rows.find((r) => r.name === 'demo')?.ready).toBe(true);
    expect(rows.find((r) => r.name === 'longlive-1.3b')?.ready).toBe(false);
  });

  it('status demo works offline and says whether the random weights are generated yet', async () => {
    const io = captureIO();
    await runModelsCommand(['status', 'demo', '--models-dir', modelsDir], io);
    expect(io.out()).toMatch(/random weights/);
    expect(io.out()).toMatch(/not generated yet/);
    ensureDemoFiles(modelsDir);
    const again = captureIO();
    await runModelsCommand(['status', 'demo', '--models-dir', modelsDir], again);
    expect(again.out()).toContain(`weights: generated in ${join(modelsDir, 'demo')}`);
  });

  it('status of a download preset lists each missing file and the command that fetches them', async () => {
    const io = captureIO();
    await runModelsCommand(['status', 'longlive-1.3b', '--models-dir', modelsDir], io);
    const preset = listPresets().find((p) => p.name === 'longlive-1.3b')!;
    for (const f of preset.files) expect(io.out()).toContain(`missing  ${f.local}`);
    expect(io.out()).toContain('vace-live models download longlive-1.3b');
  });

  it('an unknown preset, a missing preset name and an unknown action are CliErrors naming the problem', async () => {
    const io = captureIO();
    await expect(runModelsCommand(['status', 'nope', '--models-dir', modelsDir], io)).rejects.toThrow(/unknown model preset "nope" \(known presets: .*demo/);
    await expect(runModelsCommand(['download'], io)).rejects.toThrow(CliError);
    await expect(runModelsCommand(['download'], io)).rejects.toThrow(/needs a preset name/);
    await expect(runModelsCommand(['frobnicate'], io)).rejects.toThrow(/unknown models action "frobnicate"/);
  });

  it('download of an offline hub fails with the weight manager\'s offline error and leaves no file', async () => {
    const io = captureIO();
    await expect(runModelsCommand(['download', 'longlive-1.3b', '--models-dir', modelsDir, '--hub-url', 'http://127.0.0.1:9'], io)).rejects.toThrow(CliError);
    const st = captureIO();
    await runModelsCommand(['status', 'longlive-1.3b', '--models-dir', modelsDir, '--json'], st);
    const status = JSON.parse(st.out()) as { files: { state: string }[] };
    expect(status.files.every((f) => f.state === 'missing')).toBe(true);
  });

  it('--help prints the actions', async () => {
    const io = captureIO();
    await runModelsCommand(['--help'], io);
    expect(io.out()).toMatch(/list[\s\S]*status[\s\S]*download[\s\S]*verify[\s\S]*remove/);
  });
});
