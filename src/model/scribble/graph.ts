/**
 * VACE's scribble annotator network (ContourInference, the "anime_style" contour generator) as
 * one ONNX graph: reflection-padded 7×7 conv, two stride-2 convs, residual blocks, two
 * transposed convs back up, a 7×7 conv to one channel and a sigmoid. Every norm is an
 * InstanceNorm without affine parameters (PyTorch defaults, eps 1e-5).
 */
import { Graph, type Value } from '../onnx/graph.ts';
import { NORM_STATISTICS_FP32, type ParamSource } from '../onnx/nn.ts';
import { add, conv, convTranspose, instanceNormalization, pad, relu, sigmoid } from '../onnx/ops.ts';

const IN_EPS = 1e-5;

export interface ScribbleConfig {
  /** ResidualBlocks in model2 (3 in the released checkpoint). */
  readonly residualBlocks: number;
}

/** Reflection padding of the two spatial axes of [N, C, H, W]. */
function reflect(x: Value, n: number): Value {
  return pad(x, [0, 0, n, n, 0, 0, n, n], 'reflect');
}

function convIn(x: Value, p: ParamSource, prefix: string, opts: { stride?: number; pad?: number } = {}): Value {
  const s = opts.stride ?? 1;
  const q = opts.pad ?? 0;
  return conv(x, p(`${prefix}.weight`), p(`${prefix}.bias`), { strides: [s, s], pads: [q, q, q, q] });
}

/** InstanceNorm sums over a whole frame: float32 in the float16 variant (measured off by 4e-3 in half on WebGPU). */
const instanceNorm = (x: Value) => x.graph.fp32Region(NORM_STATISTICS_FP32, () => instanceNormalization(x, IN_EPS));
const inRelu = (x: Value) => relu(instanceNorm(x));

function residualBlock(x: Value, p: ParamSource, prefix: string): Value {
  const a = inRelu(convIn(reflect(x, 1), p, `${prefix}.conv_block.1`));
  const b = instanceNorm(convIn(reflect(a, 1), p, `${prefix}.conv_block.5`));
  return add(x, b);
}

function upsample(x: Value, p: ParamSource, prefix: string): Value {
  return inRelu(convTranspose(x, p(`${prefix}.weight`), p(`${prefix}.bias`), { strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1] }));
}

/** Image [T, 3, H, W] in [0, 1] → `contour` [T, 1, 4⌈H/4⌉, 4⌈W/4⌉]; `debug` adds `model1`, `model2`. */
export function buildScribbleGraph(cfg: ScribbleConfig, frames: number, height: number, width: number, p: (g: Graph) => ParamSource, opts: { debug?: boolean } = {}): Graph {
  const g = new Graph(`contour_inference_${frames}x${height}x${width}`);
  const params = p(g);
  const image = g.input('image', 'float32', [frames, 3, height, width]);
  const m0 = inRelu(convIn(reflect(image, 3), params, 'model0.1'));
  let x = inRelu(convIn(m0, params, 'model1.0', { stride: 2, pad: 1 }));
  x = inRelu(convIn(x, params, 'model1.3', { stride: 2, pad: 1 }));
  const model1 = x;
  for (let k = 0; k < cfg.residualBlocks; k++) x = g.scope(`res${k}`, () => residualBlock(x, params, `model2.${k}`));
  const model2 = x;
  x = upsample(upsample(x, params, 'model3.0'), params, 'model3.3');
  g.output(sigmoid(convIn(reflect(x, 3), params, 'model4.1')), 'contour');
  if (opts.debug) {
    g.output(model1, 'model1');
    g.output(model2, 'model2');
  }
  return g;
}

/** Residual blocks present in a checkpoint (model2.k.conv_block.1.weight for k = 0, 1, …). */
export function countResidualBlocks(has: (key: string) => boolean): number {
  let k = 0;
  while (has(`model2.${k}.conv_block.1.weight`)) k++;
  return k;
}
