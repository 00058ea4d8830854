/**
 * DINOv2 ViT backbone as graph ops: stride-14 patch embedding, class token, interpolated
 * position embedding, pre-norm blocks with LayerScale, and the tapped intermediate layers
 * through the final norm (get_intermediate_layers(norm=True, return_class_token=True)).
 */
import type { Value } from '../onnx/graph.ts';
import { SOFTMAX_FP32, type ParamSource } from '../onnx/nn.ts';
import { add, concat, conv, expand, gelu, gemmTransB, layerNormalization, matmul, mul, reshape, slice, softmax, squeeze, transpose } from '../onnx/ops.ts';
import type { DepthConfig } from './config.ts';

const LN_EPS = 1e-6;

export interface VitFeatures {
  /** Per tapped layer: patch tokens [B, N, E] (final norm applied). */
  readonly patch: Value[];
  /** Per tapped layer: class token [B, E] (final norm applied). */
  readonly cls: Value[];
}

/** [B·L, in] → [B·L, out] through a PyTorch Linear, for a [B, L, in] value. */
function tokenLinear(x: Value, p: ParamSource, prefix: string): Value {
  const [B, L, C] = x.staticShape() as [number, number, number];
  const y = gemmTransB(reshape(x, [B * L, C]), p(`${prefix}.weight`), p(`${prefix}.bias`));
  return reshape(y, [B, L, -1]);
}

function selfAttention(x: Value, heads: number, p: ParamSource, prefix: string): Value {
  const [B, L, E] = x.staticShape() as [number, number, number];
  const d = E / heads;
  const qkv = transpose(reshape(tokenLinear(x, p, `${prefix}.qkv`), [B, L, 3, heads, d]), [2, 0, 3, 1, 4]); // [3, B, H, L, d]
  const part = (i: number) => squeeze(slice(qkv, [i], [i + 1], [0]), [0]);
  const q = mul(part(0), 1 / Math.sqrt(d));
  const scores = matmul(q, transpose(part(1), [0, 1, 3, 2]));
  const probs = x.graph.fp32Region(SOFTMAX_FP32, () => softmax(scores, -1)); // [B, H, L, L]
  const out = reshape(transpose(matmul(probs, part(2)), [0, 2, 1, 3]), [B, L, E]);
  return tokenLinear(out, p, `${prefix}.proj`);
}

function block(x: Value, cfg: DepthConfig, p: ParamSource, prefix: string): Value {
  const ln1 = layerNormalization(x, LN_EPS, p(`${prefix}.norm1.weight`), p(`${prefix}.norm1.bias`));
  x = add(x, mul(selfAttention(ln1, cfg.numHeads, p, `${prefix}.attn`), p(`${prefix}.ls1.gamma`)));
  const ln2 = layerNormalization(x, LN_EPS, p(`${prefix}.norm2.weight`), p(`${prefix}.norm2.bias`));
  const hidden = gelu(tokenLinear(ln2, p, `${prefix}.mlp.fc1`), 'none');
  return add(x, mul(tokenLinear(hidden, p, `${prefix}.mlp.fc2`), p(`${prefix}.ls2.gamma`)));
}

/**
 * `image` is the normalised net input [B, 3, h, w]; `posEmbed` the interpolated table
 * [1, 1 + ph·pw, E] (see pos-embed.ts).
 */
export function dinov2Features(image: Value, posEmbed: Value, cfg: DepthConfig, p: ParamSource): VitFeatures {
  const g = image.graph;
  const [B, , h, w] = image.staticShape() as [number, number, number, number];
  const E = cfg.embedDim;
  const N = (h / cfg.patchSize) * (w / cfg.patchSize);
  return g.scope('dinov2', () => {
    const patches = conv(image, p('pretrained.patch_embed.proj.weight'), p('pretrained.patch_embed.proj.bias'), { strides: [cfg.patchSize, cfg.patchSize] });
    const tokens = transpose(reshape(patches, [B, E, N]), [0, 2, 1]);
    const cls = expand(p('pretrained.cls_token'), [B, 1, E]);
    let x = add(concat([cls, tokens], 1), posEmbed);
    const taps = new Set(cfg.layers);
    const patch: Value[] = [];
    const clsOut: Value[] = [];
    for (let i = 0; i < cfg.depth; i++) {
      x = g.scope(`block${i}`, () => block(x, cfg, p, `pretrained.blocks.${i}`));
      if (taps.has(i)) {
        const normed = layerNormalization(x, LN_EPS, p('pretrained.norm.weight'), p('pretrained.norm.bias'));
        patch.push(slice(normed, [1], [N + 1], [1]));
        clsOut.push(reshape(slice(normed, [0], [1], [1]), [B, E]));
      }
    }
    if (patch.length !== cfg.layers.length) throw new Error(`depth config: intermediate layers [${cfg.layers.join(', ')}] are not all below depth ${cfg.depth}`);
    return { patch, cls: clsOut };
  });
}
