/**
 * The README's parameter table, generated from the parameter table (param-table.ts). A unit test
 * fails when README.md's copy differs; running this file rewrites it:
 *
 *   npx tsx src/stream/param-readme.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PARAMETERS, type ParamSpec } from './param-table.ts';
import { describeDefault, describeMeaning, describeNull, describeRange } from './param-text.ts';

export const README_PATH = fileURLToPath(new URL('../../README.md', import.meta.url));
export const UPDATE_README_COMMAND = 'npx tsx src/stream/param-readme.ts';
const SECTION = '## Parameters';

/** A pipe inside a cell (even inside a code span) would end the cell in GitHub's tables. */
const cell = (text: string) => text.replaceAll('|', '\\|');

function row(name: string, spec: ParamSpec): string {
  const nullMeans = describeNull(spec, 'markdown');
  const values = describeRange(spec, 'markdown') + (nullMeans ? ' or `null`' : '');
  const meaning = describeMeaning(spec, 'markdown') + (nullMeans ? `; ${nullMeans}` : '');
  return `| ${[`\`${name}\``, values, describeDefault(spec, 'markdown'), meaning].map(cell).join(' | ')} |`;
}

/** The Markdown table: one row per parameter, and one per field of a parameter object. */
export function parametersMarkdownTable(): string {
  const lines = ['| parameter | values | default | meaning |', '|---|---|---|---|'];
  for (const [name, spec] of Object.entries(PARAMETERS)) {
    lines.push(row(name, spec));
    if (spec.kind === 'group') for (const [field, f] of Object.entries(spec.fields)) lines.push(row(`${name}.${field}`, f));
  }
  return lines.join('\n');
}

/** The README with the first table of its "## Parameters" section replaced by `table`. */
export function withParametersTable(readme: string, table: string): string {
  const lines = readme.split('\n');
  const start = lines.indexOf(SECTION);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const sectionEnd = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  const end = sectionEnd < 0 ? lines.length : sectionEnd;
  const first = lines.findIndex((l, i) => i > start && i < end && l.startsWith('|'));
  if (first < 0) throw new Error(`the "${SECTION}" section of README.md has no table`);
  let last = first;
  while (last + 1 < end && lines[last + 1]!.startsWith('|')) last++;
  return [...lines.slice(0, first), table, ...lines.slice(last + 1)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const readme = readFileSync(README_PATH, 'utf8');
  const updated = withParametersTable(readme, parametersMarkdownTable());
  if (updated === readme) console.log('README.md: the parameter table is up to date');
  else {
    writeFileSync(README_PATH, updated);
    console.log('README.md: parameter table rewritten from src/stream/param-table.ts');
  }
}
