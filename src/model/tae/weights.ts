/**
 * TAEHV weights → graph parameters. Every key and shape is checked against the layout before
 * a graph is built, so a wrong checkpoint fails with the file, key and shapes named. Any
 * reader works: safetensors (`safetensorsWeights`) or a `.pth` (`openCheckpoint`, whose
 * Checkpoint satisfies WeightReader).
 */
import type { Graph, Value } from '../onnx/graph.ts';
import type { ParamSource } from '../onnx/nn.ts';
import { paramSource } from '../onnx/params.ts';
import type { WeightReader } from '../weights/reader.ts';
import type { TaeConfig } from './config.ts';
import { taeLayout, taeWeightShapes } from './layout.ts';

/** Keys of the decoder TGrow weights (the only ones upstream may patch on load). */
function tgrowKeys(cfg: TaeConfig): Set<string> {
  return new Set(taeLayout(cfg).decoder.filter((m) => m.kind === 'tgrow').map((m) => `decoder.${m.index}.conv.weight`));
}

/** Throws naming every missing or mis-shaped weight. */
export function checkTaeWeights(cfg: TaeConfig, reader: WeightReader): void {
  const tgrow = tgrowKeys(cfg);
  const problems: string[] = [];
  for (const [key, want] of taeWeightShapes(cfg)) {
    if (!reader.has(key)) {
      problems.push(`missing "${key}"`);
      continue;
    }
    const got = reader.shape(key);
    const same = got.length === want.length && got.every((d, i) => d === want[i]);
    // patch_tgrow_layers: a TGrow weight with MORE output rows is accepted (its last rows are used).
    const patchable = tgrow.has(key) && got.length === want.length && got[0]! > want[0]! && got.slice(1).every((d, i) => d === want[i + 1]);
    if (!same && !patchable) problems.push(`"${key}" is [${got.join(', ')}], expected [${want.join(', ')}]`);
  }
  if (problems.length > 0) throw new Error(`${reader.path}: not a TAEHV checkpoint for this config: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? ` (and ${problems.length - 8} more)` : ''}`);
}

/**
 * A ParamSource for the TAE graphs. TGrow weights with extra output rows keep only their LAST
 * rows (upstream `_patch_tgrow_layers`, which takes the last-timestep output channels).
 */
export function taeParams(graph: Graph, cfg: TaeConfig, reader: WeightReader): ParamSource {
  const shapes = taeWeightShapes(cfg);
  const tgrow = tgrowKeys(cfg);
  const plain = paramSource(graph, reader);
  const patched = new Map<string, Value>();
  return (name: string) => {
    const want = shapes.get(name);
    if (!want) throw new Error(`TAE graph asked for "${name}", which the layout does not define`);
    const got = reader.shape(name);
    if (tgrow.has(name) && got[0]! > want[0]!) {
      let v = patched.get(name);
      if (!v) {
        const full = reader.getF32(name).data;
        const rowSize = want.slice(1).reduce((a, b) => a * b, 1);
        v = graph.initializer(`${name}#last_rows`, 'float32', want, full.slice((got[0]! - want[0]!) * rowSize));
        patched.set(name, v);
      }
      return v;
    }
    return plain(name, want);
  };
}
