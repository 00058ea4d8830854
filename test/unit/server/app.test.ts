/** buildApp driven with fastify.inject (no socket): routes, and bad requests answered 4xx without a session. */
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/server/app.ts';
import type { ControlSource } from '../../../src/stream/session-pipeline.ts';
import { GeneratorRegistry } from '../../../src/stream/generators.ts';

// No request here reaches a control: a source that fails loudly if one does.
const controls = {
  list: () => [],
  create: () => {
    throw new Error('no control expected in this test');
  },
} as unknown as ControlSource;

const app = buildApp({ controls, generators: new GeneratorRegistry(), clientDir: '/nonexistent-client-dir' });
afterAll(() => app.fastify.close());

describe('buildApp', () => {
  it('answers /api/health and lists no sessions', async () => {
    const health = await app.fastify.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ ok: true });
    const list = await app.fastify.inject({ method: 'GET', url: '/api/sessions' });
    expect(list.json()).toEqual({ sessions: [] });
  });

  it('an unknown route or session is a 404', async () => {
    expect((await app.fastify.inject({ method: 'GET', url: '/api/nope' })).statusCode).toBe(404);
    expect((await app.fastify.inject({ method: 'GET', url: '/api/sessions/does-not-exist' })).statusCode).toBe(404);
  });

  it('malformed or invalid session requests are 4xx and create nothing', async () => {
    const cases = [
      { payload: '{"sdp": ', headers: { 'content-type': 'application/json' } },
      { payload: JSON.stringify({ sdp: 42 }), headers: { 'content-type': 'application/json' } },
      { payload: JSON.stringify({ sdp: 'v=0', width: 641 }), headers: { 'content-type': 'application/json' } },
      { payload: JSON.stringify({ sdp: 'v=0', extra: true }), headers: { 'content-type': 'application/json' } },
    ];
    for (const c of cases) {
      const r = await app.fastify.inject({ method: 'POST', url: '/api/sessions', ...c });
      expect(r.statusCode, c.payload).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, c.payload).toBeLessThan(500);
    }
    expect(app.sessions.list()).toHaveLength(0);
  });
});
