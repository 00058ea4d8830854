import { describe, expect, it } from 'vitest';
import { cleanPrompt, fixText, htmlUnescape } from '../../../../src/model/text/prompt-clean.ts';

describe('cleanPrompt (Wan clean="whitespace")', () => {
  it('collapses every whitespace run (including no-break and ideographic spaces) to one space and strips', () => {
    expect(cleanPrompt('  a\u00a0\u00a0b\t\r\nc\u2003d  ')).toBe('a b c d');
  });

  it('unescapes numeric and named HTML entities like Python html.unescape', () => {
    expect(htmlUnescape('&#65;&#x42;&lt;&amp&copy;')).toBe('AB<&©');
    expect(htmlUnescape('&#150;')).toBe('\u2013'); // C1 reference read as cp1252
    expect(htmlUnescape('&#0;&#x110000;')).toBe('\ufffd\ufffd');
    expect(htmlUnescape('&unknownentity; &ampx')).toBe('&unknownentity; &x');
  });

  it('applies ftfy’s HTML rule: an extra unescape only when the text has no "<"', () => {
    expect(cleanPrompt('&amp;amp;amp;')).toBe('&');
    expect(cleanPrompt('<b> &amp;amp;amp;')).toBe('<b> &amp;');
  });

  it('removes terminal escapes and control characters, splits ligatures, keeps line breaks as spaces', () => {
    expect(fixText('\x1b[31mred\x1b[0m')).toBe('red');
    expect(fixText('a\u0000b\u200b'.replace('\u200b', '\ufeff'))).toBe('ab');
    expect(fixText('\ufb01sh \ufb02ow')).toBe('fish flow');
    expect(cleanPrompt('a\u0085b\u2028c')).toBe('a b c');
  });

  it('composes to NFC', () => {
    expect(cleanPrompt('Cafe\u0301')).toBe('Caf\u00e9');
  });
});
