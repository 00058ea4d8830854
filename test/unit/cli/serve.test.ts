/** `vace-live serve` (the default command) starts the server with the demo preset registered as its generator. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAccessFlags } from '../../../src/cli/access-flags.ts';
import { CliError } from '../../../src/cli/io.ts';
import { runServeCommand, type ServeHandle } from '../../../src/cli/serve-command.ts';
import { captureIO } from '../../support/cli-io.ts';

const modelsDir = mkdtempSync(join(tmpdir(), 'vace-serve-'));
let handle: ServeHandle | undefined;
afterAll(async () => {
  await handle?.stop();
  rmSync(modelsDir, { recursive: true, force: true });
});

describe('vace-live serve', () => {
  it('loads the demo preset, says its weights are random, and serves it as the default generator (behind --token)', async () => {
    const io = captureIO();
    const token = 'serve-test-token-0123456789';
    handle = await runServeCommand(['--port', '0', '--models-dir', modelsDir, '--device', 'cpu', '--threads', '1', '--token', token], io, { httpLog: false });
    expect(handle).toBeDefined();
    expect(io.err()).toMatch(/RANDOM weights/);
    expect(io.err()).toContain(`vace-live is live at ${handle!.url}`);
    expect(io.err()).toMatch(/every request needs the access token/);
    expect(io.err()).not.toContain(token);
    const health = (await (await fetch(`${handle!.url}/api/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    expect((await fetch(`${handle!.url}/api/models`)).status).toBe(401);
    const models = (await (await fetch(`${handle!.url}/api/models`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      defaultGenerator: string;
      modes: { id: string; available: boolean }[];
    };
    expect(models.defaultGenerator).toBe('demo');
    expect(models.modes.find((m) => m.id === 'generate')?.available).toBe(true);
  }, 120_000);

  it('refuses a non-loopback --host without a token before loading anything, in one line', async () => {
    const err = await runServeCommand(['--host', '0.0.0.0', '--port', '0', '--models-dir', modelsDir], captureIO()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toBe(
      'refusing to listen on 0.0.0.0 without an access token: pass --token TOKEN (or set VACE_TOKEN), or --insecure-no-token to let anyone on the network use it',
    );
    await expect(runServeCommand(['--host', '0.0.0.0', '--token', 'short'], captureIO())).rejects.toThrow(/--token must be at least 16 characters/);
    await expect(runServeCommand(['--cors-origin', '*'], captureIO())).rejects.toThrow(CliError);
  });

  it('reads --token, else VACE_TOKEN; --cors-origin repeats or takes a comma list', () => {
    const env = { VACE_TOKEN: 'from-the-environment-123' };
    expect(parseAccessFlags({ host: '0.0.0.0' }, env)).toEqual({ token: 'from-the-environment-123', corsOrigins: [], insecureNoToken: false });
    expect(parseAccessFlags({ host: '0.0.0.0', token: 'from-the-flag-0123456' }, env).token).toBe('from-the-flag-0123456');
    expect(parseAccessFlags({}, { VACE_TOKEN: '' }).token).toBeUndefined();
    expect(() => parseAccessFlags({}, { VACE_TOKEN: 'short' })).toThrow(/^VACE_TOKEN must be at least 16/);
    expect(parseAccessFlags({ 'cors-origin': ['https://a.example,https://b.example', 'http://localhost:5173'] }, {}).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
      'http://localhost:5173',
    ]);
    expect(parseAccessFlags({ host: '192.168.1.20', 'insecure-no-token': true }, {})).toMatchObject({ token: undefined, insecureNoToken: true });
    expect(() => parseAccessFlags({ host: '0.0.0.0', 'insecure-no-token': true }, env)).toThrow(/contradict/);
  });

  it('rejects a bad port before loading anything', async () => {
    await expect(runServeCommand(['--port', '70000'], captureIO())).rejects.toThrow('--port must be an integer in [0, 65535], got "70000"');
  });
});
