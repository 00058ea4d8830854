/**
 * The UMT5 encoder (Wan2.1's T5Encoder) as one ONNX graph with symbolic batch B and length L:
 *   ids [B, L] int64, mask [B, L] int64 (1 = real token), rel_buckets [L, L] int64
 *   → context [B, L, dim] (final RMS norm) and prompt_embeds [B, L, dim] (rows with mask 0 zeroed).
 * The bucket matrix is computed on the host (relative-position.ts), so one graph serves every
 * length; the mask is an input, so one graph serves every prompt.
 *
 * Facts that are easy to get wrong (spec §2.2): every block has its own relative-position table;
 * attention logits are NOT scaled by 1/√c; where a key is masked the bias is REPLACED by the float32
 * minimum (not added to); the FFN is fc1(x) ⊙ gelu_tanh(gate(x)); RMS norm eps 1e-6, no mean, no bias.
 */
import { fusedAttention } from '../onnx/fused.ts';
import { Graph, type Value } from '../onnx/graph.ts';
import { gatherInt8Rows, linearInt8, type Int8Activations, type Int8ParamSource } from '../onnx/int8.ts';
import type { KernelSet } from '../onnx/kernels.ts';
import { rmsNorm, type ParamSource } from '../onnx/nn.ts';
import { add, cast, equal, gather, gelu, matmul, mul, reshape, softmax, transpose, unsqueeze, where } from '../onnx/ops.ts';
import type { Umt5Config } from './config.ts';

export interface Umt5GraphOptions {
  /** Also output `embeddings`, `block.i` (residual stream after block i) and `pos_bias.i` [1, H, L, L]. */
  debug?: boolean;
  /** With int8 weights: how MatMulNBits treats activations (onnx/int8.ts; default 'int8', fast on CPU). */
  int8Activations?: Int8Activations;
  /** Fused kernels to build with (kernels.ts); plain ops by default. */
  kernels?: KernelSet;
}

/**
 * Where the graph's weights come from. With `int8`, the token embedding and every projection
 * (umt5Int8Params) are 8-bit blocks; norms and position tables stay float32 from `p`.
 */
export interface Umt5ParamSources {
  p: ParamSource;
  int8?: Int8ParamSource;
  int8Activations?: Int8Activations;
}

const FLOAT32_MIN = -3.4028234663852886e38;

/** Why parts of the encoder stay float32 in the float16 variant. */
const BIAS_SOFTMAX_FP32 = 'UMT5 position bias, key mask (float32 minimum) and softmax: the masked bias is out of half range and the logits are unscaled';
const FFN_OUT_FP32 = 'UMT5 FFN output projection and residual stream: T5 activations overflow half precision there (transformers keeps T5 "wo" in float32)';

/** nn.Linear without bias on [..., in]: x · Wᵀ. The weight transpose is a constant ORT folds once. */
function projection(x: Value, w: Umt5ParamSources, name: string, out: number, inp: number): Value {
  if (w.int8) return linearInt8(x, w.int8(`${name}.weight`, [out, inp]), w.int8Activations);
  return matmul(x, transpose(w.p(`${name}.weight`, [out, inp]), [1, 0]));
}

/** This block's additive bias [1, H, L, L] from its [num_buckets, H] table. */
function positionBias(p: ParamSource, prefix: string, buckets: Value, cfg: Umt5Config): Value {
  const table = p(`${prefix}.pos_embedding.embedding.weight`, [cfg.num_buckets, cfg.num_heads]);
  return unsqueeze(transpose(gather(table, buckets), [2, 0, 1]), [0]);
}

function selfAttention(x: Value, p: Umt5ParamSources, prefix: string, cfg: Umt5Config, bias: Value): Value {
  const H = cfg.num_heads;
  const c = cfg.dim_attn / H;
  if (x.graph.kernels.attention) {
    const proj = (name: string) => projection(x, p, `${prefix}.attn.${name}`, cfg.dim_attn, cfg.dim);
    // Unscaled logits (T5) and a float32-minimum mask: the whole fused op stays float32 (once per prompt).
    const [q, k, v] = [proj('q'), proj('k'), proj('v')];
    const out = x.graph.fp32Region(BIAS_SOFTMAX_FP32, () => fusedAttention(q, k, v, H, { scale: 1, bias }));
    return projection(out, p, `${prefix}.attn.o`, cfg.dim, cfg.dim_attn);
  }
  const heads = (name: string) => reshape(projection(x, p, `${prefix}.attn.${name}`, cfg.dim_attn, cfg.dim), [0, 0, H, c]);
  const q = transpose(heads('q'), [0, 2, 1, 3]); // [B, H, L, c]
  const k = transpose(heads('k'), [0, 2, 3, 1]); // [B, H, c, L]
  const v = transpose(heads('v'), [0, 2, 1, 3]); // [B, H, L, c]
  const scores = matmul(q, k);
  const probs = x.graph.fp32Region(BIAS_SOFTMAX_FP32, () => softmax(add(scores, bias), -1)); // unscaled logits (T5)
  const out = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [0, 0, cfg.dim_attn]);
  return projection(out, p, `${prefix}.attn.o`, cfg.dim, cfg.dim_attn);
}

function feedForward(x: Value, p: Umt5ParamSources, prefix: string, cfg: Umt5Config): Value {
  const gate = gelu(projection(x, p, `${prefix}.ffn.gate.0`, cfg.dim_ffn, cfg.dim), 'tanh');
  const hidden = mul(projection(x, p, `${prefix}.ffn.fc1`, cfg.dim_ffn, cfg.dim), gate);
  return x.graph.fp32Region(FFN_OUT_FP32, () => projection(hidden, p, `${prefix}.ffn.fc2`, cfg.dim, cfg.dim_ffn));
}

/** `params` gives float32 weights only (a ParamSource) or float32 and int8 sources. */
export function buildUmt5EncoderGraph(cfg: Umt5Config, params: (g: Graph) => ParamSource | Umt5ParamSources, opts: Umt5GraphOptions = {}): Graph {
  const g = new Graph('umt5_encoder', { kernels: opts.kernels });
  const given = params(g);
  const w: Umt5ParamSources = { ...(typeof given === 'function' ? { p: given } : given), int8Activations: opts.int8Activations };
  const p = w.p;
  const ids = g.input('ids', 'int64', ['B', 'L']);
  const mask = g.input('mask', 'int64', ['B', 'L']);
  const buckets = g.input('rel_buckets', 'int64', ['L', 'L']);

  const table = 'token_embedding.weight';
  let x = w.int8 ? gatherInt8Rows(w.int8(table, [cfg.vocab_size, cfg.dim]), ids) : gather(p(table, [cfg.vocab_size, cfg.dim]), ids); // [B, L, dim]
  if (opts.debug) g.output(x, 'embeddings');
  const keyMasked = unsqueeze(equal(mask, 0), [1, 2]); // [B, 1, 1, L]
  const floatMin = g.constant(FLOAT32_MIN);

  for (let i = 0; i < cfg.encoder_layers; i++) {
    const prefix = `blocks.${i}`;
    g.scope(prefix, () => {
      const pos = g.fp32Region(BIAS_SOFTMAX_FP32, () => positionBias(p, prefix, buckets, cfg));
      if (opts.debug) g.output(pos, `pos_bias.${i}`);
      const bias = g.fp32Region(BIAS_SOFTMAX_FP32, () => where(keyMasked, floatMin, pos)); // [B, H, L, L]
      const attended = selfAttention(rmsNorm(x, p(`${prefix}.norm1.weight`, [cfg.dim]), cfg.eps), w, prefix, cfg, bias);
      x = g.fp32Region(FFN_OUT_FP32, () => add(x, attended));
      const fed = feedForward(rmsNorm(x, p(`${prefix}.norm2.weight`, [cfg.dim]), cfg.eps), w, prefix, cfg);
      x = g.fp32Region(FFN_OUT_FP32, () => add(x, fed));
    });
    if (opts.debug) g.output(x, `block.${i}`);
  }

  const context = rmsNorm(x, p('norm.weight', [cfg.dim]), cfg.eps);
  g.output(context, 'context');
  // scope's WanTextEncoderWrapper zeroes rows ≥ seq_len; with a prefix mask that is context · mask.
  g.output(mul(context, unsqueeze(cast(mask, 'float32'), [2])), 'prompt_embeds');
  return g;
}
