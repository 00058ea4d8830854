import { describe, expect, it } from 'vitest';
import { startServer } from '../../../src/cli/serve.ts';
import { checkExposure, ExposureError, isLoopbackHost } from '../../../src/server/exposure.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';

describe('where the server may listen', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LocalHost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '128.0.0.1', '']) expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses a non-loopback host without a token, in one line that says what to do', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      expect(() => checkExposure({ host }), host).toThrow(ExposureError);
    }
    let message = '';
    try {
      checkExposure({ host: '0.0.0.0' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe('refusing to listen on 0.0.0.0 without an access token: pass --token TOKEN (or set VACE_TOKEN), or --insecure-no-token to let anyone on the network use it');
    expect(message).not.toContain('\n');
  });

  it('allows loopback as it is, and other hosts with a token or --insecure-no-token (not both)', () => {
    expect(() => checkExposure({})).not.toThrow();
    expect(() => checkExposure({ host: '127.0.0.1' })).not.toThrow();
    expect(() => checkExposure({ host: '::1' })).not.toThrow();
    expect(() => checkExposure({ host: '0.0.0.0', token: 'x'.repeat(16) })).not.toThrow();
    expect(() => checkExposure({ host: '0.0.0.0', insecureNoToken: true })).not.toThrow();
    expect(() => checkExposure({ host: '0.0.0.0', token: 'x'.repeat(16), insecureNoToken: true })).toThrow(/contradict/);
  });

  it('startServer refuses before it listens', async () => {
    await expect(startServer({ host: '0.0.0.0', port: 0, generators: new GeneratorRegistry(), clientDir: '/nonexistent' })).rejects.toThrow(ExposureError);
    await expect(startServer({ port: 0, token: 'short', generators: new GeneratorRegistry(), clientDir: '/nonexistent' })).rejects.toThrow(/at least 16/);
  });
});
