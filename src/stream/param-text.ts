/**
 * Parameter-table rows in words: the allowed values and the default, as the README table, the
 * CLI help and the CLI's error messages show them. In Markdown, literal values are code spans;
 * in plain text the table's own backticks are dropped.
 */
import type { ParamSpec } from './param-table.ts';

export type TextStyle = 'plain' | 'markdown';

function literal(text: string, style: TextStyle): string {
  return style === 'markdown' ? `\`${text}\`` : text;
}

function prose(text: string, style: TextStyle): string {
  return style === 'markdown' ? text : text.replaceAll('`', '');
}

function rangeOnly(spec: ParamSpec, style: TextStyle): string {
  switch (spec.kind) {
    case 'enum':
      return spec.values.map((v) => literal(v, style)).join(' | ');
    case 'number':
      return `a number in [${spec.min}, ${spec.max}]`;
    case 'integer':
      return `an integer in [${spec.min}, ${spec.max}]`;
    case 'text':
      return `${prose(spec.format, style)} (${spec.minLength > 0 ? `${spec.minLength} to ${spec.maxLength}` : `up to ${spec.maxLength}`} characters)`;
    case 'steps':
      return `1 to ${spec.maxLength} strictly decreasing integers in [${spec.min}, ${spec.max}]`;
    case 'rect':
      return `${literal('{ x, y, width, height }', style)} inside the frame`;
    case 'group':
      return literal(`{ ${Object.keys(spec.fields).join(', ')} }`, style);
  }
}

/** The values a row allows, with its unit and without null, e.g. "a number in [0, 0.9] (fraction of the frame)". */
export function describeRange(spec: ParamSpec, style: TextStyle = 'plain'): string {
  const range = rangeOnly(spec, style);
  return spec.unit ? `${range} (${spec.unit})` : range;
}

/** The default of a row as a request writes it (JSON), e.g. 0.7, "passthrough", [1000, 750]. */
export function describeDefault(spec: ParamSpec, style: TextStyle = 'plain'): string {
  if (spec.kind === 'group') return Object.entries(spec.fields).map(([k, f]) => `${k} ${describeDefault(f, style)}`).join(', ');
  const value = spec.default;
  return literal(Array.isArray(value) ? `[${value.join(', ')}]` : JSON.stringify(value), style);
}

/** What a row does. */
export function describeMeaning(spec: ParamSpec, style: TextStyle = 'plain'): string {
  return prose(spec.meaning, style);
}

/** What null means for a row that may be null ("null = text mode (…)"), or undefined. */
export function describeNull(spec: ParamSpec, style: TextStyle = 'plain'): string | undefined {
  return spec.nullMeans === undefined ? undefined : `${literal('null', style)} = ${prose(spec.nullMeans, style)}`;
}
