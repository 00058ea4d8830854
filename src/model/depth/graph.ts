/**
 * The whole Video-Depth-Anything forward as one ONNX graph for a fixed clip shape:
 * image [T, 3, h, w] (normalised) → depth [T, h, w] (relative inverse depth, ReLU'd), with the
 * motion-module cache as explicit inputs/outputs for scope's one-frame streaming.
 */
import { Graph, type Value } from '../onnx/graph.ts';
import type { ParamSource } from '../onnx/nn.ts';
import { relu, reshape } from '../onnx/ops.ts';
import type { F32Tensor } from '../tensor.ts';
import type { DepthConfig } from './config.ts';
import { CACHE_ENTRIES, dptHeadTemporal } from './dpt-head.ts';
import { dinov2Features } from './vit.ts';

export interface DepthClipShape {
  /** Frames run together (temporal attention among them; no causal mask). */
  readonly frames: number;
  readonly netH: number;
  readonly netW: number;
  /** Attend to one cached previous frame (inputs `cache.0` … `cache.7`). */
  readonly cached: boolean;
  /** With `cached`: a bool input `cache_valid` [1]; false runs the frame as if there were no cache. */
  readonly optionalCache?: boolean;
}

export const cacheInputName = (i: number) => `cache.${i}`;
export const cacheOutputName = (i: number) => `cache_out.${i}`;
export const CACHE_VALID_INPUT = 'cache_valid';

/** Shapes [h·w, 1, C] of the 8 cache entries (module m, attention block k at index 2m + k). */
export function depthCacheShapes(cfg: DepthConfig, netH: number, netW: number): number[][] {
  const ph = netH / cfg.patchSize;
  const pw = netW / cfg.patchSize;
  const half = (n: number) => Math.floor((n - 1) / 2) + 1; // conv 3×3, stride 2, pad 1
  const modules: [number, number][] = [
    [ph * pw, cfg.outChannels[2]!],
    [half(ph) * half(pw), cfg.outChannels[3]!],
    [ph * pw, cfg.features],
    [4 * ph * pw, cfg.features],
  ];
  return modules.flatMap(([s, c]) => [
    [s, 1, c],
    [s, 1, c],
  ]);
}

export function buildDepthGraph(cfg: DepthConfig, shape: DepthClipShape, p: (g: Graph) => ParamSource, posEmbed: F32Tensor, opts: { debug?: boolean } = {}): Graph {
  const { frames: T, netH, netW } = shape;
  if (netH % cfg.patchSize !== 0 || netW % cfg.patchSize !== 0) throw new Error(`depth graph: net size ${netH}×${netW} is not a multiple of ${cfg.patchSize}`);
  const ph = netH / cfg.patchSize;
  const pw = netW / cfg.patchSize;
  const g = new Graph(`video_depth_anything_${T}x${netH}x${netW}${shape.cached ? (shape.optionalCache ? '_stream' : '_cached') : ''}`);
  const params = p(g);
  const image = g.input('image', 'float32', [T, 3, netH, netW]);
  const cache: Value[] | undefined = shape.cached ? depthCacheShapes(cfg, netH, netW).map((s, i) => g.input(cacheInputName(i), 'float32', s)) : undefined;
  const cacheValid = shape.cached && shape.optionalCache ? g.input(CACHE_VALID_INPUT, 'bool', [1]) : undefined;
  const pos = g.initializer('pos_embed_interpolated', 'float32', posEmbed.shape, posEmbed.data);
  const feats = dinov2Features(image, pos, cfg, params);
  const head = dptHeadTemporal(feats.patch, ph, pw, cfg, params, cache, cacheValid);
  // VideoDepthAnything.forward resizes to the net input size (already 14·ph × 14·pw) and ReLUs again.
  g.output(reshape(relu(head.depth), [T, netH, netW]), 'depth');
  if (head.cache.length !== CACHE_ENTRIES) throw new Error(`depth graph: ${head.cache.length} cache entries, expected ${CACHE_ENTRIES}`);
  head.cache.forEach((c, i) => g.output(c, cacheOutputName(i)));
  if (opts.debug) {
    feats.patch.forEach((v, i) => g.output(v, `dino.layer${i}.patch`));
    feats.cls.forEach((v, i) => g.output(v, `dino.layer${i}.cls`));
  }
  return g;
}
