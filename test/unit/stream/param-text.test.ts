import { describe, expect, it } from 'vitest';
import { describeDefault, describeMeaning, describeNull, describeRange } from '../../../src/stream/param-text.ts';
import { PARAMETERS } from '../../../src/stream/param-table.ts';

describe('describeRange', () => {
  it('writes a number row with its unit', () => {
    expect(describeRange(PARAMETERS.contextScale)).toBe('a number in [0, 2]');
    expect(describeRange(PARAMETERS.noiseScale)).toBe('a number in [0.15, 1] (fraction of full noise)');
  });

  it('writes an integer row', () => {
    expect(describeRange(PARAMETERS.seed)).toBe('an integer in [0, 4294967295]');
    expect(describeRange(PARAMETERS.transitionChunks)).toBe('an integer in [1, 32] (chunks)');
  });

  it('writes an enum row as alternatives, code spans in markdown', () => {
    expect(describeRange(PARAMETERS.mode)).toBe('preview | generate');
    expect(describeRange(PARAMETERS.interpolation, 'markdown')).toBe('`linear` | `slerp`');
  });

  it('writes text, steps, rect and group rows', () => {
    expect(describeRange(PARAMETERS.control)).toBe(
      'a control id from controls/registry.ts, e.g. passthrough, gray, edges, depth (1 to 64 characters)',
    );
    expect(describeRange(PARAMETERS.prompt)).toMatch(/\(up to 4000 characters\)$/);
    expect(describeRange(PARAMETERS.steps)).toBe('1 to 8 strictly decreasing integers in [0, 1000] (timesteps of 1000)');
    expect(describeRange(PARAMETERS.mask, 'markdown')).toBe('`{ x, y, width, height }` inside the frame (fractions of the frame, origin top-left)');
    expect(describeRange(PARAMETERS.outpaint)).toBe('{ direction, amount }');
  });
});

describe('describeDefault', () => {
  it('writes the default as JSON', () => {
    expect(describeDefault(PARAMETERS.contextScale)).toBe('1');
    expect(describeDefault(PARAMETERS.mode)).toBe('"preview"');
    expect(describeDefault(PARAMETERS.mode, 'markdown')).toBe('`"preview"`');
    expect(describeDefault(PARAMETERS.mask)).toBe('null');
    expect(describeDefault(PARAMETERS.referenceId)).toBe('null');
    expect(describeDefault(PARAMETERS.steps)).toBe(`[${PARAMETERS.steps.default.join(', ')}]`);
    expect(describeDefault(PARAMETERS.outpaint)).toBe('direction "none", amount 0.25');
  });
});

describe('describeMeaning and describeNull', () => {
  it('drops backticks in plain text and keeps them in markdown', () => {
    expect(describeMeaning(PARAMETERS.control)).toBe('the VACE control signal (passthrough in generate mode = no control)');
    expect(describeMeaning(PARAMETERS.control, 'markdown')).toBe(PARAMETERS.control.meaning);
  });

  it('says what null means for a nullable row, and nothing for another', () => {
    expect(describeNull(PARAMETERS.noiseScale)).toBe('null = text mode (pure noise; the input frames are not used)');
    expect(describeNull(PARAMETERS.referenceId, 'markdown')).toBe('`null` = no reference image');
    expect(describeNull(PARAMETERS.contextScale)).toBeUndefined();
    expect(describeNull(PARAMETERS.mode)).toBeUndefined();
  });
});
