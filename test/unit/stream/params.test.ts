import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, parseClientMessage, parseParamsPatch, sessionParamsSchema } from '../../../src/stream/params.ts';

describe('session parameter schema', () => {
  it('accepts the defaults as a full parameter set', () => {
    expect(sessionParamsSchema.safeParse(DEFAULT_PARAMS).success).toBe(true);
  });

  it('accepts a partial update', () => {
    const r = parseParamsPatch({ prompt: 'a cat:0.7 | a dog:0.3', seed: 7 });
    expect(r).toEqual({ ok: true, value: { prompt: 'a cat:0.7 | a dog:0.3', seed: 7 } });
  });

  it('names the offending field of an invalid update', () => {
    const r = parseParamsPatch({ contextScale: 5 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/contextScale/);
  });

  it('rejects unknown keys instead of ignoring them', () => {
    const r = parseParamsPatch({ promt: 'typo' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/promt/);
  });

  it('rejects a mask rectangle that leaves the frame', () => {
    const r = parseParamsPatch({ mask: { x: 0.8, y: 0, width: 0.5, height: 0.5 } });
    expect(r.ok).toBe(false);
  });

  it('rejects a non-integer seed', () => {
    expect(parseParamsPatch({ seed: 1.5 }).ok).toBe(false);
  });
});

describe('client messages', () => {
  it('parses a params message', () => {
    const r = parseClientMessage(JSON.stringify({ type: 'params', id: 3, params: { seed: 1 } }));
    expect(r).toEqual({ ok: true, value: { type: 'params', id: 3, params: { seed: 1 } } });
  });

  it('explains a message that is not JSON', () => {
    expect(parseClientMessage('{nope')).toEqual({ ok: false, error: 'message is not valid JSON' });
  });

  it('rejects an unknown message type', () => {
    const r = parseClientMessage(JSON.stringify({ type: 'explode' }));
    expect(r.ok).toBe(false);
  });
});
