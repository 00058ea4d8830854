import { describe, expect, it } from 'vitest';
import { AccessToken, checkTokenFormat, InvalidTokenError, presentedToken, redactToken } from '../../../src/server/access-token.ts';

const TOKEN = 'Abc-123_def.456~ghi';

describe('access token', () => {
  it('refuses a short token or one that would not survive a URL, saying how to make one', () => {
    expect(() => checkTokenFormat('short')).toThrow(/--token must be at least 16 characters \(got 5\); make one with: node -e/);
    for (const bad of ['has a space in it 1234', 'plus+plus+plus+plus', 'slash/slash/slash/slash', 'pad=pad=pad=pad=pad', 'ümlautümlautümlaut']) {
      expect(() => checkTokenFormat(bad), bad).toThrow(InvalidTokenError);
    }
    expect(() => checkTokenFormat('x', 'VACE_TOKEN')).toThrow(/^VACE_TOKEN must be/);
    expect(() => checkTokenFormat(TOKEN)).not.toThrow();
  });

  it('matches only the exact token', () => {
    const t = new AccessToken(TOKEN);
    expect(t.matches(TOKEN)).toBe(true);
    for (const other of ['', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toLowerCase(), ` ${TOKEN}`]) expect(t.matches(other), other).toBe(false);
    expect(() => new AccessToken('short')).toThrow(InvalidTokenError);
  });

  it('reads the Bearer header first, else ?token=; a malformed header is a (wrong) token, not none', () => {
    expect(presentedToken({ authorization: `Bearer ${TOKEN}` }, '/api/x?token=other')).toBe(TOKEN);
    expect(presentedToken({ authorization: `bearer\t${TOKEN} ` }, undefined)).toBe(TOKEN);
    expect(presentedToken({}, `/api/x?a=1&token=${TOKEN}`)).toBe(TOKEN);
    expect(presentedToken({}, '/api/x?a=1')).toBeUndefined();
    expect(presentedToken({}, '/api/x')).toBeUndefined();
    expect(presentedToken({ authorization: 'Basic abc' }, `/x?token=${TOKEN}`)).toBe('Basic abc');
    expect(presentedToken({ authorization: 'Bearer a b' }, undefined)).toBe('Bearer a b');
  });

  it('keeps the token out of logged URLs', () => {
    expect(redactToken(`/whep/1?token=${TOKEN}`)).toBe('/whep/1?token=[redacted]');
    expect(redactToken(`/x?a=1&token=${TOKEN}&b=2`)).toBe('/x?a=1&token=[redacted]&b=2');
    expect(redactToken('/x?notatoken=1')).toBe('/x?notatoken=1');
  });
});
