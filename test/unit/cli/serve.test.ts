/** `vace-live serve` (the default command) starts the server with the demo preset registered as its generator. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runServeCommand, type ServeHandle } from '../../../src/cli/serve-command.ts';
import { captureIO } from '../../support/cli-io.ts';

const modelsDir = mkdtempSync(join(tmpdir(), 'vace-serve-'));
let handle: ServeHandle | undefined;
afterAll(async () => {
  await handle?.stop();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('vace-live serve', () => {
  it('loads the demo preset, says its weights are random, and serves it as the default generator', async () => {
    const io = captureIO();
    handle = await runServeCommand(['--port', '0', '--models-dir', modelsDir, '--device', 'cpu', '--threads', '1'], io, { httpLog: false });
    expect(handle).toBeDefined();
    expect(io.err()).toMatch(/RANDOM weights/);
    expect(io.err()).toContain(`vace-live is live at ${handle!.url}`);
    const health = (await (await fetch(`${handle!.url}/api/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    const models = (await (await fetch(`${handle!.url}/api/models`)).json()) as { defaultGenerator: string; modes: { id: string; available: boolean }[] };
    expect(models.defaultGenerator).toBe('demo');
    expect(models.modes.find((m) => m.id === 'generate')?.available).toBe(true);
  }, 120_000);

  it('rejects a bad port before loading anything', async () => {
    await expect(runServeCommand(['--port', '70000'], captureIO())).rejects.toThrow('--port must be an integer in [0, 65535], got "70000"');
  });
});
