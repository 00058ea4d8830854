import { describe, expect, it } from 'vitest';
import { checkPrompts } from '../../../../src/model/text/encoder-worker-protocol.ts';

describe('checkPrompts (the encode call argument, as it arrives from the other thread)', () => {
  it('passes an array of strings through unchanged, empty strings and an empty batch included', () => {
    const prompts = ['a cat', '', '  cats!  '];
    expect(checkPrompts(prompts)).toBe(prompts);
    expect(checkPrompts([])).toEqual([]);
  });

  it('rejects anything but an array, saying what it got', () => {
    expect(() => checkPrompts('a cat')).toThrow('encode takes an array of prompt strings, got string');
    expect(() => checkPrompts(42)).toThrow('encode takes an array of prompt strings, got number');
    expect(() => checkPrompts(null)).toThrow('encode takes an array of prompt strings, got null');
    expect(() => checkPrompts(undefined)).toThrow('encode takes an array of prompt strings, got undefined');
    expect(() => checkPrompts({ 0: 'a cat', length: 1 })).toThrow('encode takes an array of prompt strings, got object');
  });

  it('names the first prompt that is not a string', () => {
    expect(() => checkPrompts(['a cat', 3, null])).toThrow('prompt 1 is not a string (got number)');
    expect(() => checkPrompts([['a cat']])).toThrow('prompt 0 is not a string (got an array)');
    expect(() => checkPrompts(['ok', null])).toThrow('prompt 1 is not a string (got null)');
  });
});
