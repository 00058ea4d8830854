import { describe, expect, it } from 'vitest';
import { CorsPolicy, InvalidCorsOriginError, parseCorsOrigins } from '../../../src/server/cors.ts';

describe('--cors-origin', () => {
  it('takes repeated flags and comma lists, normalised as browsers write Origin', () => {
    expect(parseCorsOrigins(['https://a.example, http://localhost:5173', 'HTTPS://B.example:443/', 'https://a.example'])).toEqual([
      'https://a.example',
      'http://localhost:5173',
      'https://b.example',
    ]);
    expect(parseCorsOrigins([])).toEqual([]);
  });

  it('refuses what is not an origin, with a one-line reason', () => {
    expect(() => parseCorsOrigins(['*'])).toThrow(/not '\*'/);
    expect(() => parseCorsOrigins(['studio.example'])).toThrow(/scheme:\/\/host/);
    expect(() => parseCorsOrigins(['ftp://studio.example'])).toThrow(/http:\/\/ or https:\/\//);
    expect(() => parseCorsOrigins(['https://studio.example/path'])).toThrow(InvalidCorsOriginError);
    expect(() => parseCorsOrigins(['https://user:pw@studio.example'])).toThrow(/credentials/);
  });

  it('labels answers to allowed origins only', () => {
    const none = new CorsPolicy();
    expect(none.headersFor('https://a.example')).toEqual({});
    const p = new CorsPolicy(['https://a.example']);
    expect(p.headersFor(undefined)).toEqual({});
    expect(p.headersFor('https://b.example')).toEqual({});
    expect(p.headersFor('https://a.example')).toMatchObject({ 'access-control-allow-origin': 'https://a.example', 'access-control-expose-headers': 'Location, Link' });
  });
});
