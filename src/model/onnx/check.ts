/**
 * Structural validation of a serialised model, the parts of onnx.checker that catch builder
 * bugs: IR version and opsets present, unique value names, every node input defined before use
 * (topological order), every graph output produced, external data entries complete.
 */
import { modelProtoType } from './proto.ts';

interface NodeLike {
  input?: string[];
  output?: string[];
  op_type?: string;
  name?: string;
  domain?: string;
}

export function checkModel(bytes: Uint8Array): { nodes: number; initializers: number; external: number } {
  const model = modelProtoType().toObject(modelProtoType().decode(bytes), { longs: Number, defaults: true }) as {
    ir_version: number;
    opset_import: { domain: string; version: number }[];
    graph: {
      node: NodeLike[];
      input: { name: string }[];
      output: { name: string }[];
      initializer: { name: string; data_location?: number; external_data?: { key: string; value: string }[]; raw_data?: Uint8Array }[];
    };
  };
  const errors: string[] = [];
  if (!model.ir_version) errors.push('ir_version is not set');
  const domains = new Set(model.opset_import.map((o) => o.domain));
  if (!domains.has('')) errors.push('no default-domain opset import');
  const defined = new Set<string>();
  const define = (name: string, what: string) => {
    if (defined.has(name)) errors.push(`${what} "${name}" is defined twice`);
    defined.add(name);
  };
  for (const i of model.graph.initializer) define(i.name, 'initializer');
  for (const i of model.graph.input) if (!defined.has(i.name)) define(i.name, 'input');
  let external = 0;
  for (const i of model.graph.initializer) {
    if (i.data_location === 1) {
      external++;
      const keys = new Set((i.external_data ?? []).map((e) => e.key));
      if (!keys.has('location')) errors.push(`external initializer "${i.name}" has no location`);
    }
  }
  for (const n of model.graph.node) {
    if (!n.op_type) errors.push(`node "${n.name}" has no op_type`);
    if (n.domain && !domains.has(n.domain)) errors.push(`node "${n.name}" uses domain "${n.domain}" without an opset import`);
    for (const inp of n.input ?? []) if (inp !== '' && !defined.has(inp)) errors.push(`node "${n.name}" (${n.op_type}) reads "${inp}" before it is defined`);
    for (const out of n.output ?? []) define(out, 'node output');
  }
  for (const o of model.graph.output) if (!defined.has(o.name)) errors.push(`graph output "${o.name}" is never produced`);
  if (errors.length) throw new Error(`invalid ONNX model:\n  ${errors.slice(0, 20).join('\n  ')}${errors.length > 20 ? `\n  … ${errors.length - 20} more` : ''}`);
  return { nodes: model.graph.node.length, initializers: model.graph.initializer.length, external };
}
