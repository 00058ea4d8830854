/**
 * The page's inputs set up from the server's parameter table (src/stream/param-table.ts, bundled
 * in by Vite): slider ranges, steps and defaults, number limits, text lengths, select options and
 * tooltips. Nothing about a parameter's range is written in index.html, so the page cannot offer
 * a value the server rejects (issue 14: the noise slider reached 0.05, which V2V cannot run).
 */
import type { EnumParam, IntegerParam, NumberParam, ParamSpec, TextParam } from '../../src/stream/param-table.ts';
import { describeMeaning, describeNull, describeRange } from '../../src/stream/param-text.ts';

/** Tooltip for an input: what the parameter does and what it takes. */
export function tooltip(spec: ParamSpec): string {
  return [describeMeaning(spec), describeRange(spec), describeNull(spec)].filter(Boolean).join('\n');
}

/** Decimals of a slider step (0.05 → 2), so values read back without float noise like 0.15000000000000002. */
function decimals(step: number): number {
  const text = String(step);
  return text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
}

export function setupRange(input: HTMLInputElement, spec: NumberParam): void {
  input.min = String(spec.min);
  input.max = String(spec.max);
  input.step = String(spec.step);
  input.value = String(spec.default ?? spec.min);
  input.title = tooltip(spec);
  showRangeValue(input);
}

/** A slider's value as a number on its step grid, clamped to the row's range. */
export function readRange(input: HTMLInputElement, spec: NumberParam): number {
  const v = Math.min(spec.max, Math.max(spec.min, Number(input.value)));
  return Number(v.toFixed(decimals(spec.step)));
}

/** Writes a slider's value into the <output> that follows it. */
export function showRangeValue(input: HTMLInputElement): void {
  const out = input.nextElementSibling;
  if (out instanceof HTMLOutputElement) out.value = input.value;
}

export function setupInteger(input: HTMLInputElement, spec: IntegerParam): void {
  input.min = String(spec.min);
  input.max = String(spec.max);
  input.step = '1';
  input.value = String(spec.default);
  input.title = tooltip(spec);
}

export function setupText(input: HTMLInputElement | HTMLTextAreaElement, spec: TextParam): void {
  input.maxLength = spec.maxLength;
  input.value = spec.default ?? '';
  input.title = tooltip(spec);
}

/** Fills a select with a row's values (shown as `labels` names them, else as they are), the default selected. */
export function setupSelect<V extends string>(select: HTMLSelectElement, spec: EnumParam<V>, labels?: Readonly<Record<V, string>>): void {
  select.replaceChildren(...spec.values.map((v) => new Option(labels?.[v] ?? v, v, v === spec.default, v === spec.default)));
  select.title = tooltip(spec);
}
