/**
 * Command-line flags that set session parameters: the value is checked by the session schema
 * itself and the help text comes from the parameter table, so a flag cannot accept another range
 * or show another default than a live session (issue 14: render once took contextScale up to 4).
 */
import { PARAMETERS, sessionParamsPatchSchema, describeIssues } from '../stream/params.ts';
import type { IntegerParam, NumberParam, ParamName } from '../stream/param-table.ts';
import { describeDefault, describeMeaning, describeRange } from '../stream/param-text.ts';
import { CliError } from './io.ts';

/** Parameters whose row is a number or an integer. */
export type NumericParamName = { [K in ParamName]: (typeof PARAMETERS)[K] extends NumberParam | IntegerParam ? K : never }[ParamName];
export type TextParamName = { [K in ParamName]: (typeof PARAMETERS)[K] extends { kind: 'text' } ? K : never }[ParamName];

/** The schema's complaint about one parameter value, or undefined when the value is fine. */
function schemaProblem(name: ParamName, value: unknown): string | undefined {
  const r = sessionParamsPatchSchema.safeParse({ [name]: value });
  return r.success ? undefined : describeIssues(r.error);
}

/** A flag's number, checked against its session parameter's row; undefined when the flag is absent. */
export function numericParamFlag(flag: string, name: NumericParamName, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || schemaProblem(name, n) !== undefined) {
    throw new CliError(`--${flag} must be ${describeRange(PARAMETERS[name])}, got "${raw}"`);
  }
  return n;
}

/** A flag's text, checked against its session parameter's row (length, and e.g. prompt weights). */
export function textParamFlag(flag: string, name: TextParamName, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const problem = schemaProblem(name, raw);
  if (problem !== undefined) throw new CliError(`--${flag}: ${problem}`);
  return raw;
}

/** Help text for a flag that sets `name`: its meaning, range and default from the table. */
export function paramFlagHelp(name: ParamName, options: { default?: string } = {}): string {
  const spec = PARAMETERS[name];
  return `${describeMeaning(spec)}; ${describeRange(spec)}; default ${options.default ?? describeDefault(spec)}`;
}

/** One usage line: the flag column padded to `column`, the text wrapped at `width` under itself (never inside [a, b]). */
export function usageLine(flags: string, text: string, column = 26, width = 100): string {
  const lines: string[] = [];
  let line = `  ${flags}`.padEnd(column - 1);
  for (const word of text.match(/\S*\[[^\]]*\]\S*|\S+/g) ?? []) {
    if (line.length + 1 + word.length > width && line.trim().length > flags.length) {
      lines.push(line);
      line = ' '.repeat(column - 1);
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}
