import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { WorkerClient, type WorkerClientOptions } from '../../../../src/model/runtime/worker-client.ts';
import type { EchoProtocol } from '../../../support/echo-worker-protocol.ts';

const ENTRY = new URL('../../../support/echo-worker.ts', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'worker-client-'));
const started: WorkerClient<EchoProtocol>[] = [];

async function start(opts: Partial<WorkerClientOptions<EchoProtocol>> = {}): Promise<WorkerClient<EchoProtocol>> {
  const client = await WorkerClient.start<EchoProtocol>({ entry: ENTRY, init: {}, name: 'echo', ...opts });
  started.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WorkerClient', () => {
  it('starts a TypeScript worker and hands over what it reported as ready', async () => {
    const client = await start();
    expect(client.ready).toEqual({ greeting: 'hello from the worker' });
    expect(client.pending).toBe(0);
  });

  it('rejects the start with the worker’s start error', async () => {
    await expect(start({ init: { failStart: 'no weights at /x/y.pth' } })).rejects.toThrow('echo: no weights at /x/y.pth');
  });

  it('rejects the start when the worker module cannot be loaded', async () => {
    await expect(start({ entry: new URL('../../runtime/no-such-worker.ts', import.meta.url) })).rejects.toThrow(/echo worker failed to start: .*no-such-worker/);
  });

  it('rejects bad limits before starting a worker', async () => {
    await expect(start({ maxPending: 0 })).rejects.toThrow('echo: maxPending must be a positive integer, got 0');
    await expect(start({ closeTimeoutMs: 1.5 })).rejects.toThrow('echo: closeTimeoutMs must be a positive integer, got 1.5');
  });

  it('answers each call with its own result, in any number at once', async () => {
    const client = await start();
    const words = ['a', 'b', 'c', 'd', 'e'];
    await expect(Promise.all(words.map((w) => client.call('echo', w)))).resolves.toEqual(words.map((w) => `echo: ${w}`));
    expect(client.pending).toBe(0);
  });

  it('moves transferred buffers both ways', async () => {
    const client = await start();
    const input = new Float32Array([1, 2, 3]);
    const doubled = client.call('double', input, [input.buffer]);
    expect(input.byteLength).toBe(0); // moved to the worker, not copied
    expect([...(await doubled)]).toEqual([2, 4, 6]);
  });

  it('rejects only the call that failed, and keeps serving', async () => {
    const client = await start();
    await expect(client.call('fail', 'bad prompt')).rejects.toThrow('echo: bad prompt');
    await expect((client.call as (name: string, arg: unknown) => Promise<unknown>)('nope', 1)).rejects.toThrow("echo: unknown call 'nope'");
    await expect(client.call('echo', 'still here')).resolves.toBe('echo: still here');
  });

  it('rejects a call whose argument cannot be sent, without losing the worker', async () => {
    const client = await start();
    await expect(client.call('echo', (() => 'x') as unknown as string)).rejects.toThrow(/echo: cannot send 'echo'/);
    expect(client.pending).toBe(0);
    await expect(client.call('echo', 'ok')).resolves.toBe('echo: ok');
  });

  it('a crashed worker rejects every pending call and every later one', async () => {
    const client = await start();
    const crashing = client.call('crash', 'boom');
    const queued = client.call('echo', 'behind the crash');
    await expect(crashing).rejects.toThrow('echo worker crashed: boom');
    await expect(queued).rejects.toThrow('echo worker crashed: boom');
    await expect(client.call('echo', 'later')).rejects.toThrow('echo worker crashed: boom');
    await client.close(); // returns although the worker is gone
  });

  it('a worker that exits rejects what is pending with its exit code', async () => {
    const client = await start();
    const exiting = client.call('exit', 7);
    const queued = client.call('echo', 'behind the exit');
    await expect(exiting).rejects.toThrow('echo worker exited unexpectedly (code 7)');
    await expect(queued).rejects.toThrow('echo worker exited unexpectedly (code 7)');
  });

  it('rejects a call beyond maxPending instead of queueing it', async () => {
    const client = await start({ maxPending: 2, closeTimeoutMs: 50 });
    const stuck = [client.call('hang', null), client.call('echo', 'behind the hang')];
    await expect(client.call('echo', 'one too many')).rejects.toThrow("echo: 2 calls are already waiting for the worker; wait for one to finish before sending 'echo'");
    expect(client.pending).toBe(2);
    await client.close();
    for (const p of stuck) await expect(p).rejects.toThrow('echo: closed before the worker answered');
  });

  it('close() terminates a worker that does not stop within the timeout', async () => {
    const marker = join(dir, 'hung-closed');
    const client = await start({ closeTimeoutMs: 50, init: { closedMarker: marker } });
    const hung = client.call('hang', null);
    await client.close();
    await expect(hung).rejects.toThrow('echo: closed before the worker answered');
    expect(existsSync(marker)).toBe(false); // the close behind the hung call never ran: terminated
  });

  it('close() answers what was sent before it, frees the service, and refuses later calls', async () => {
    const marker = join(dir, 'closed');
    const client = await start({ init: { closedMarker: marker } });
    const before = client.call('echo', 'last words');
    const closed = client.close();
    expect(client.close()).toBe(closed);
    await expect(before).resolves.toBe('echo: last words');
    await closed;
    expect(existsSync(marker)).toBe(true);
    await expect(client.call('echo', 'too late')).rejects.toThrow("echo: call 'echo' after close()");
  });
});
