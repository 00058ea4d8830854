import { describe, expect, it } from 'vitest';
import { numericParamFlag, paramFlagHelp, textParamFlag, usageLine } from '../../../src/cli/param-flags.ts';
import { CliError } from '../../../src/cli/io.ts';
import { PARAMETERS } from '../../../src/stream/param-table.ts';

describe('numericParamFlag', () => {
  it('returns the number for an in-range value', () => {
    expect(numericParamFlag('context-scale', 'contextScale', '1.5')).toBe(1.5);
    expect(numericParamFlag('context-scale', 'contextScale', '0')).toBe(0);
    expect(numericParamFlag('seed', 'seed', '7')).toBe(7);
  });

  it('returns undefined when the flag is absent', () => {
    expect(numericParamFlag('context-scale', 'contextScale', undefined)).toBeUndefined();
  });

  it('rejects an out-of-range value with a message naming the range and the raw value', () => {
    expect(() => numericParamFlag('context-scale', 'contextScale', '4')).toThrow(CliError);
    expect(() => numericParamFlag('context-scale', 'contextScale', '4')).toThrow(
      '--context-scale must be a number in [0, 2], got "4"',
    );
    expect(() => numericParamFlag('noise-scale', 'noiseScale', '0.1')).toThrow(
      `--noise-scale must be a number in [${PARAMETERS.noiseScale.min}, ${PARAMETERS.noiseScale.max}] (fraction of full noise), got "0.1"`,
    );
  });

  it('rejects a non-integer for an integer row, and empty or non-numeric text', () => {
    expect(() => numericParamFlag('transition-chunks', 'transitionChunks', '2.5')).toThrow(
      '--transition-chunks must be an integer in [1, 32] (chunks), got "2.5"',
    );
    expect(() => numericParamFlag('seed', 'seed', '')).toThrow(/--seed must be an integer in \[0, 4294967295\]/);
    expect(() => numericParamFlag('seed', 'seed', '  ')).toThrow(CliError);
    expect(() => numericParamFlag('seed', 'seed', 'abc')).toThrow('got "abc"');
    expect(() => numericParamFlag('context-scale', 'contextScale', 'Infinity')).toThrow(CliError);
  });
});

describe('textParamFlag', () => {
  it('passes valid text through and undefined through', () => {
    expect(textParamFlag('prompt', 'prompt', 'a cat:0.7 | a dog:0.3')).toBe('a cat:0.7 | a dog:0.3');
    expect(textParamFlag('prompt', 'prompt', undefined)).toBeUndefined();
  });

  it('rejects a prompt whose weights cannot be blended, naming the flag', () => {
    expect(() => textParamFlag('prompt', 'prompt', 'a:0 | b:0')).toThrow(CliError);
    expect(() => textParamFlag('prompt', 'prompt', 'a:0 | b:0')).toThrow(/^--prompt: prompt: .*sum to 0/);
  });

  it('rejects text longer than the row allows', () => {
    expect(() => textParamFlag('control', 'control', 'x'.repeat(65))).toThrow(/^--control: control: /);
    expect(() => textParamFlag('control', 'control', '')).toThrow(CliError);
  });
});

describe('paramFlagHelp', () => {
  it('is meaning; range; default from the table, backticks dropped', () => {
    expect(paramFlagHelp('contextScale')).toBe('VACE hint strength (a runtime input: no graph rebuild); a number in [0, 2]; default 1');
    expect(paramFlagHelp('mode')).toBe('control output only, or the model; preview | generate; default "preview"');
    expect(paramFlagHelp('transitionChunks')).toBe(
      'chunks over which a new prompt blends in (1 = switch at once); an integer in [1, 32] (chunks); default 4',
    );
    expect(paramFlagHelp('control')).not.toContain('`');
  });

  it('takes an overriding default', () => {
    expect(paramFlagHelp('seed', { default: 'random' })).toMatch(/; default random$/);
  });
});

describe('usageLine', () => {
  it('pads the flag column and wraps under the text, never inside [a, b]', () => {
    const text = paramFlagHelp('noiseScale');
    const out = usageLine('--noise-scale <x>', text, 26, 60);
    const lines = out.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines[0]!.startsWith('  --noise-scale <x>')).toBe(true);
    expect(lines[0]![25]).toBe(' ');
    for (const l of lines.slice(1)) expect(l.startsWith(' '.repeat(26))).toBe(true);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    expect(out).toContain(`[${PARAMETERS.noiseScale.min}, ${PARAMETERS.noiseScale.max}]`);
    expect(out.trim().split(/\s+/).join(' ')).toBe(`--noise-scale <x> ${text}`);
  });

  it('keeps a short text on one line', () => {
    expect(usageLine('--x', 'short text')).toBe(`${'  --x'.padEnd(25)} short text`);
  });
});
