/** README.md's "Parameters" table is the one generated from the parameter table. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parametersMarkdownTable, README_PATH, UPDATE_README_COMMAND, withParametersTable } from '../../../src/stream/param-readme.ts';
import { PARAMETERS } from '../../../src/stream/params.ts';

describe('README parameter table', () => {
  it('matches the parameter table', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    expect(withParametersTable(readme, parametersMarkdownTable()), `README.md's parameter table is out of date: run \`${UPDATE_README_COMMAND}\``).toBe(readme);
  });

  it('has a row per parameter with its range, default and meaning', () => {
    const table = parametersMarkdownTable();
    for (const name of Object.keys(PARAMETERS)) expect(table).toContain(`| \`${name}\` |`);
    expect(table).toContain('| `noiseScale` | a number in [0.15, 1] (fraction of full noise) or `null` | `0.7` |');
    expect(table).toContain('| `outpaint.amount` | a number in [0, 0.9] (fraction of the frame) | `0.25` |');
    // Pipes in cells are escaped, even inside code spans, or they would split the cell.
    expect(table).toContain('`a:0.7 \\| b:0.3`');
  });

  it('replaces only the first table of the Parameters section', () => {
    const readme = ['# x', '| other | table |', '## Parameters', 'intro', '', '| a |', '|---|', '| old |', '', 'after', '## Next', '| keep |'].join('\n');
    expect(withParametersTable(readme, '| new |')).toBe(['# x', '| other | table |', '## Parameters', 'intro', '', '| new |', '', 'after', '## Next', '| keep |'].join('\n'));
    expect(() => withParametersTable('# no section', '| t |')).toThrow(/no "## Parameters" section/);
    expect(() => withParametersTable('## Parameters\ntext\n## Next\n| t |', '| t |')).toThrow(/has no table/);
  });
});
