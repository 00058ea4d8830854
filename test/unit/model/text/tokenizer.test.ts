import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Umt5Tokenizer } from '../../../../src/model/text/tokenizer.ts';
import { ID, tokenizerJson } from '../../../support/tiny-tokenizer.ts';

const TEXT_LEN = 8;
const tok = Umt5Tokenizer.fromJson(tokenizerJson(), {}, { textLen: TEXT_LEN });

/** Real-token ids (content + </s>) of a prompt, after checking padding and mask. */
function realIds(prompt: string): number[] {
  const t = tok.encode(prompt);
  expect(t.ids.length).toBe(TEXT_LEN);
  expect(Array.from(t.mask)).toEqual([...new Array(t.length).fill(1), ...new Array(TEXT_LEN - t.length).fill(0)]);
  expect(Array.from(t.ids.subarray(t.length))).toEqual(new Array(TEXT_LEN - t.length).fill(ID['<pad>']));
  expect(t.ids[t.length - 1]).toBe(ID['</s>']);
  return Array.from(t.ids.subarray(0, t.length));
}

describe('Umt5Tokenizer on a hand-built unigram tokenizer.json', () => {
  it('encodes words as ▁-prefixed pieces followed by </s>, padded with <pad>', () => {
    expect(realIds('a cat')).toEqual([ID['▁a'], ID['▁cat'], ID['</s>']]);
    expect(tok.encode('a cat').ids[3]).toBe(ID['<pad>']);
  });

  it('takes the best-scoring segmentation (▁cat + s + ! beats ▁cats + !)', () => {
    expect(realIds('cats!')).toEqual([ID['▁cat'], ID['s'], ID['!'], ID['</s>']]);
  });

  it('collapses whitespace runs, tabs and newlines and strips the ends (clean="whitespace")', () => {
    expect(realIds('  a \t\n   cat  ')).toEqual(realIds('a cat'));
    expect(tok.encode('  a \t\n   cat  ').text).toBe('a cat');
  });

  it('normalises unicode to NFC before tokenising (decomposed é = precomposed é)', () => {
    expect(realIds('e\u0301')).toEqual([ID['▁'], ID['é'], ID['</s>']]);
    expect(realIds('\u00e9')).toEqual([ID['▁'], ID['é'], ID['</s>']]);
    expect(realIds('日本')).toEqual([ID['▁日本'], ID['</s>']]);
  });

  it('straightens curly quotes and narrows full-width forms as ftfy does', () => {
    expect(realIds('cat\u2019s')).toEqual([ID['▁cat'], ID["'"], ID['s'], ID['</s>']]);
    expect(realIds('\uff41\u3000\uff43\uff41\uff54')).toEqual(realIds('a cat'));
  });

  it('unescapes HTML (ftfy once, then twice more): "a&amp;nbsp;cat" becomes "a cat"', () => {
    expect(tok.encode('a&amp;nbsp;cat').text).toBe('a cat');
    expect(realIds('a&amp;nbsp;cat')).toEqual(realIds('a cat'));
  });

  it('maps characters outside the vocabulary to one fused <unk>', () => {
    expect(realIds('xyz')).toEqual([ID['▁'], ID['<unk>'], ID['</s>']]);
  });

  it('encodes an empty or all-whitespace prompt as </s> alone', () => {
    for (const p of ['', '   \n\t ']) {
      const t = tok.encode(p);
      expect(t.length).toBe(1);
      expect(Array.from(t.ids)).toEqual([ID['</s>'], ...new Array(TEXT_LEN - 1).fill(ID['<pad>'])]);
      expect(t.truncatedTokens).toBe(0);
    }
  });

  it('truncates an over-long prompt to text_len − 1 content ids and still ends with </s>', () => {
    const t = tok.encode(new Array(10).fill('a').join(' '));
    expect(Array.from(t.ids)).toEqual([...new Array(TEXT_LEN - 1).fill(ID['▁a']), ID['</s>']]);
    expect(Array.from(t.mask)).toEqual(new Array(TEXT_LEN).fill(1));
    expect(t.truncatedTokens).toBe(3);
    const exact = tok.encode(new Array(TEXT_LEN - 1).fill('a').join(' '));
    expect(exact.truncatedTokens).toBe(0);
    expect(exact.length).toBe(TEXT_LEN);
  });

  it('recognises special-token strings typed in a prompt, as the HF tokenizer does', () => {
    expect(realIds('a</s>')).toEqual([ID['▁a'], ID['</s>'], ID['</s>']]);
  });

  it('builds int64 [B, text_len] encoder inputs for a batch', () => {
    const { ids, mask, prompts } = tok.encodeBatch(['a cat', '']);
    expect(ids.shape).toEqual([2, TEXT_LEN]);
    expect(mask.shape).toEqual([2, TEXT_LEN]);
    expect(Array.from(ids.data.slice(0, 3), Number)).toEqual([ID['▁a'], ID['▁cat'], ID['</s>']]);
    expect(Number(ids.data[TEXT_LEN])).toBe(ID['</s>']);
    expect(Array.from(mask.data.slice(TEXT_LEN), Number)).toEqual([1, ...new Array(TEXT_LEN - 1).fill(0)]);
    expect(prompts.map((p) => p.length)).toEqual([3, 1]);
  });

  it('loads tokenizer.json (and tokenizer_config.json) from a folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'umt5-tok-'));
    try {
      writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson()));
      writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '</s>', pad_token: '<pad>' }));
      const fromDir = Umt5Tokenizer.fromFile(dir, { textLen: TEXT_LEN });
      expect(Array.from(fromDir.encode('cats!').ids)).toEqual(Array.from(tok.encode('cats!').ids));
      expect(() => Umt5Tokenizer.fromFile(join(dir, 'missing'))).toThrow(/tokenizer not found: .*missing/);
      writeFileSync(join(dir, 'tokenizer.json'), '{ not json');
      expect(() => Umt5Tokenizer.fromFile(dir)).toThrow(/tokenizer\.json is not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the older T5 layout too (WhitespaceSplit + Metaspace with add_prefix_space)', () => {
    const legacy = tokenizerJson() as Record<string, unknown>;
    legacy.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '▁', add_prefix_space: true }] };
    legacy.normalizer = { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' };
    const old = Umt5Tokenizer.fromJson(legacy, {}, { textLen: TEXT_LEN });
    for (const p of ['a cat', 'cats!', 'xyz', '日本', 'cat\u2019s']) expect(Array.from(old.encode(p).ids)).toEqual(Array.from(tok.encode(p).ids));
    expect(Array.from(old.encode('cats!').ids.subarray(0, 4))).toEqual([ID['▁cat'], ID['s'], ID['!'], ID['</s>']]);
  });

  it('rejects a tokenizer.json that is not a unigram model, naming the field', () => {
    expect(() => Umt5Tokenizer.fromJson(tokenizerJson({ type: 'BPE', vocab: {}, merges: [] }))).toThrow(/model\.type is "BPE"/);
  });

  it('rejects a vocabulary without the configured pad token', () => {
    expect(() => Umt5Tokenizer.fromJson(tokenizerJson(), { pad_token: '<nopad>' })).toThrow(/no pad token "<nopad>"/);
  });
});
