/** The dispatcher: help texts, graph wiring, unknown commands, and serve as the default command. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GRAPH_USAGE } from '../../../src/cli/graph.ts';
import { commandOf, runCli } from '../../../src/cli/main.ts';
import { captureIO, runMain } from '../../support/cli-io.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-main-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vace-live', () => {
  it('--help lists every command', async () => {
    const io = captureIO();
    expect(await runCli(['--help'], io)).toBe(0);
    for (const c of ['serve', 'render', 'models', 'graph']) expect(io.out()).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('graph --help prints the graph usage (npx tsx src/cli/main.ts graph --help)', () => {
    const r = runMain(['graph', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(GRAPH_USAGE);
  }, 120_000);

  it('graph writes a model through runGraphCommand', async () => {
    const io = captureIO();
    const out = join(dir, 'demo.onnx');
    expect(await runCli(['graph', '--preset', 'demo', '--out', out], io)).toBe(0);
    expect(io.out()).toMatch(/^wrote .*demo\.onnx: \d+ nodes/);
    expect(statSync(out).size).toBeGreaterThan(0);
  }, 60_000);

  it('every command has --help', async () => {
    for (const c of ['serve', 'render', 'models']) {
      const io = captureIO();
      expect(await runCli([c, '--help'], io)).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^usage: vace-live ${c === 'serve' ? '\\[serve\\]' : c}`));
    }
  });

  it('serve is the default command, with or without options', () => {
    expect(commandOf([])).toBe('serve');
    expect(commandOf(['--port', '9000'])).toBe('serve');
    expect(commandOf(['render', '--input', 'x'])).toBe('render');
  });

  it('an unknown command or flag is one line on stderr and exit code 1', async () => {
    const io = captureIO();
    expect(await runCli(['frobnicate'], io)).toBe(1);
    expect(io.err()).toBe('vace-live frobnicate: unknown command "frobnicate" (commands: serve, render, models, graph; see vace-live --help)\n');
    const io2 = captureIO();
    expect(await runCli(['render', '--bogus'], io2)).toBe(1);
    expect(io2.err().trim().split('\n')).toHaveLength(1);
    expect(io2.err()).toMatch(/^vace-live render: .*--bogus/);
  });

  it('serve with the longlive-1.3b preset and no downloaded files names the missing files and the command that downloads them', async () => {
    const io = captureIO();
    expect(await runCli(['serve', '--preset', 'longlive-1.3b', '--models-dir', dir, '--device', 'cpu'], io)).toBe(1);
    expect(io.err()).toMatch(/preset "longlive-1\.3b": \d+ file\(s\) missing in .* \(generator, generator-lora, vace, tae, text-encoder/);
    expect(io.err()).toContain('vace-live models download longlive-1.3b');
  });
});
