/** Where a session gets its controls from (the control registry in production), and making one by id. */
import type { Control } from '../../controls/types.ts';

export interface ControlSource {
  list(): readonly { readonly id: string }[];
  create(id: string): Control;
}

export function unknownControlError(source: ControlSource, id: string): string | undefined {
  const ids = source.list().map((c) => c.id);
  return ids.includes(id) ? undefined : `unknown control '${id}'; available: ${ids.join(', ')}`;
}

/** Makes control `id`; throws, naming the available ids, when the source has no such control. */
export function makeControl(source: ControlSource, id: string): Control {
  const unknown = unknownControlError(source, id);
  if (unknown) throw new Error(unknown);
  return source.create(id);
}
