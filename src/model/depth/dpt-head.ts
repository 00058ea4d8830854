/**
 * The temporal DPT head: per-level projection and resize, motion modules on the two coarse
 * levels and on the first two fusion outputs, RefineNet-style fusion with bilinear
 * (align_corners=True) upsampling, and the output convs.
 */
import type { Value } from '../onnx/graph.ts';
import type { ParamSource } from '../onnx/nn.ts';
import { add, conv, convTranspose, reshape, relu, resize, transpose } from '../onnx/ops.ts';
import type { DepthConfig } from './config.ts';
import { ATTENTION_BLOCKS, motionModule } from './motion-module.ts';

/** Motion modules in cache order: on level 2, level 3, path 4, path 3. */
export const MOTION_MODULES = 4;
export const CACHE_ENTRIES = MOTION_MODULES * ATTENTION_BLOCKS;

const H = 'head';

function conv3(x: Value, p: ParamSource, prefix: string, bias = true): Value {
  return conv(x, p(`${prefix}.weight`), bias ? p(`${prefix}.bias`) : undefined, { pads: [1, 1, 1, 1] });
}

function conv1(x: Value, p: ParamSource, prefix: string): Value {
  return conv(x, p(`${prefix}.weight`), p(`${prefix}.bias`));
}

/** Bilinear align_corners=True resize of [N, C, h, w]; identity when the size already matches. */
function resizeBilinear(x: Value, outH: number, outW: number): Value {
  const [n, c, h, w] = x.staticShape() as [number, number, number, number];
  if (h === outH && w === outW) return x;
  return resize(x, [n, c, outH, outW], 'linear', 'align_corners');
}

function residualConvUnit(x: Value, p: ParamSource, prefix: string): Value {
  return add(conv3(relu(conv3(relu(x), p, `${prefix}.conv1`)), p, `${prefix}.conv2`), x);
}

function fusion(p: ParamSource, prefix: string, a: Value, b: Value | undefined, size?: readonly [number, number]): Value {
  let out = b ? add(a, residualConvUnit(b, p, `${prefix}.resConfUnit1`)) : a;
  out = residualConvUnit(out, p, `${prefix}.resConfUnit2`);
  const [, , h, w] = out.staticShape() as [number, number, number, number];
  out = resizeBilinear(out, size?.[0] ?? 2 * h, size?.[1] ?? 2 * w);
  return conv1(out, p, `${prefix}.out_conv`);
}

function spatial(v: Value): [number, number] {
  const s = v.staticShape();
  return [s[2]!, s[3]!];
}

export interface HeadOutput {
  /** [T, 1, 14·ph, 14·pw] after the last ReLU. */
  readonly depth: Value;
  readonly cache: Value[];
}

/**
 * `tokens[i]` are level i's patch tokens [T, ph·pw, E]; `cache` has CACHE_ENTRIES values or none;
 * `cacheValid` (bool [1]) lets the graph ignore the cache (see motion-module.ts).
 */
export function dptHeadTemporal(tokens: readonly Value[], ph: number, pw: number, cfg: DepthConfig, p: ParamSource, cache?: readonly Value[], cacheValid?: Value): HeadOutput {
  const g = tokens[0]!.graph;
  return g.scope('dpt', () => {
    const levels = tokens.map((t, i) => {
      const [T, N, E] = t.staticShape() as [number, number, number];
      if (N !== ph * pw) throw new Error(`dpt head: level ${i} has ${N} tokens, expected ${ph}×${pw}`);
      const x = conv1(reshape(transpose(t, [0, 2, 1]), [T, E, ph, pw]), p, `${H}.projects.${i}`);
      if (i === 0) return convTranspose(x, p(`${H}.resize_layers.0.weight`), p(`${H}.resize_layers.0.bias`), { strides: [4, 4] });
      if (i === 1) return convTranspose(x, p(`${H}.resize_layers.1.weight`), p(`${H}.resize_layers.1.bias`), { strides: [2, 2] });
      if (i === 2) return x;
      return conv(x, p(`${H}.resize_layers.3.weight`), p(`${H}.resize_layers.3.bias`), { strides: [2, 2], pads: [1, 1, 1, 1] });
    });
    const newCache: Value[] = [];
    const temporal = (x: Value, m: number) => {
      const r = motionModule(x, cfg, p, `${H}.motion_modules.${m}`, cache?.slice(m * ATTENTION_BLOCKS, (m + 1) * ATTENTION_BLOCKS), cacheValid);
      newCache.push(...r.cache);
      return r.out;
    };
    const l3 = temporal(levels[2]!, 0);
    const l4 = temporal(levels[3]!, 1);
    const rn1 = conv3(levels[0]!, p, `${H}.scratch.layer1_rn`, false);
    const rn2 = conv3(levels[1]!, p, `${H}.scratch.layer2_rn`, false);
    const rn3 = conv3(l3, p, `${H}.scratch.layer3_rn`, false);
    const rn4 = conv3(l4, p, `${H}.scratch.layer4_rn`, false);
    const path4 = temporal(fusion(p, `${H}.scratch.refinenet4`, rn4, undefined, spatial(rn3)), 2);
    const path3 = temporal(fusion(p, `${H}.scratch.refinenet3`, path4, rn3, spatial(rn2)), 3);
    const path2 = fusion(p, `${H}.scratch.refinenet2`, path3, rn2, spatial(rn1));
    const path1 = fusion(p, `${H}.scratch.refinenet1`, path2, rn1);
    let out = conv3(path1, p, `${H}.scratch.output_conv1`);
    out = resizeBilinear(out, ph * cfg.patchSize, pw * cfg.patchSize);
    out = relu(conv1(relu(conv3(out, p, `${H}.scratch.output_conv2.0`)), p, `${H}.scratch.output_conv2.2`));
    return { depth: out, cache: newCache };
  });
}
