/**
 * Bridges checkpoints and graphs: a ParamSource that turns checkpoint tensors into graph
 * initializers. Float32 tensors stored raw in a file become external initializers pointing at
 * their byte offset (no copy); anything else is widened to float32 and stored inline.
 */
import type { Graph, Value } from './graph.ts';
import type { ParamSource } from './nn.ts';
import type { WeightReader } from '../weights/reader.ts';

function sameElements(a: readonly number[], b: readonly number[]): boolean {
  return a.reduce((p, c) => p * c, 1) === b.reduce((p, c) => p * c, 1);
}

/**
 * `expectedShape` (optional) checks the checkpoint's shape; `viewShape` lets a caller read
 * the same row-major bytes with other dims (e.g. a Conv3d kernel [O, C, 1, 2, 2] as [O, 4C]).
 */
export function paramSource(graph: Graph, reader: WeightReader, opts: { prefix?: string } = {}): ParamSource & { view(name: string, viewShape: readonly number[]): Value } {
  const cache = new Map<string, Value>();
  const load = (name: string, dims?: readonly number[], expected?: readonly number[]): Value => {
    const key = `${name}|${dims?.join('x') ?? ''}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const full = (opts.prefix ?? '') + name;
    if (!reader.has(full)) throw new Error(`${reader.path}: missing weight "${full}"`);
    const shape = reader.shape(full);
    if (expected && (expected.length !== shape.length || expected.some((d, i) => d !== shape[i]))) {
      throw new Error(`${reader.path}: weight "${full}" has shape [${shape.join(', ')}], expected [${expected.join(', ')}]`);
    }
    const outDims = dims ?? shape;
    if (!sameElements(outDims, shape)) throw new Error(`${reader.path}: weight "${full}" [${shape.join(', ')}] cannot be viewed as [${outDims.join(', ')}]`);
    const loc = reader.f32Location?.(full);
    const v = loc
      ? graph.externalInitializer(full + (dims ? '#view' : ''), 'float32', outDims, loc.path, loc.offset)
      : graph.initializer(full + (dims ? '#view' : ''), 'float32', outDims, reader.getF32(full).data);
    cache.set(key, v);
    return v;
  };
  const source = ((name: string, expectedShape?: readonly number[]) => load(name, undefined, expectedShape)) as ParamSource & {
    view(name: string, viewShape: readonly number[]): Value;
  };
  source.view = (name, viewShape) => load(name, viewShape);
  return source;
}
