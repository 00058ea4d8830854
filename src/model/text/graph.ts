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
import type { KernelSet } from '../onnx/kernels.ts';
import { rmsNorm, type ParamSource } from '../onnx/nn.ts';
import { add, cast, equal, gather, gelu, matmul, mul, reshape, softmax, transpose, unsqueeze, where } from '../onnx/ops.ts';
import type { Umt5Config } from './config.ts';

export interface Umt5GraphOptions {
  /** Also output `embeddings`, `block.i` (residual stream after block i) and `pos_bias.i` [1, H, L, L]. */
  debug?: boolean;
  /** Fused kernels to build with (kernels.ts); plain ops by default. */
  kernels?: KernelSet;
}

const FLOAT32_MIN = -3.4028234663852886e38;

/** nn.Linear without bias on [..., in]: x · Wᵀ. The weight transpose is a constant ORT folds once. */
function projection(x: Value, p: ParamSource, name: string, out: number, inp: number): Value {
  return matmul(x, transpose(p(`${name}.weight`, [out, inp]), [1, 0]));
}

/** This block's additive bias [1, H, L, L] from its [num_buckets, H] table. */
function positionBias(p: ParamSource, prefix: string, buckets: Value, cfg: Umt5Config): Value {
  const table = p(`${prefix}.pos_embedding.embedding.weight`, [cfg.num_buckets, cfg.num_heads]);
  return unsqueeze(transpose(gather(table, buckets), [2, 0, 1]), [0]);
}

function selfAttention(x: Value, p: ParamSource, prefix: string, cfg: Umt5Config, bias: Value): Value {
  const H = cfg.num_heads;
  const c = cfg.dim_attn / H;
  if (x.graph.kernels.attention) {
    const proj = (name: string) => projection(x, p, `${prefix}.attn.${name}`, cfg.dim_attn, cfg.dim);
    const out = fusedAttention(proj('q'), proj('k'), proj('v'), H, { scale: 1, bias }); // unscaled logits (T5)
    return projection(out, p, `${prefix}.attn.o`, cfg.dim, cfg.dim_attn);
  }
  const heads = (name: string) => reshape(projection(x, p, `${prefix}.attn.${name}`, cfg.dim_attn, cfg.dim), [0, 0, H, c]);
  const q = transpose(heads('q'), [0, 2, 1, 3]); // [B, H, L, c]
  const k = transpose(heads('k'), [0, 2, 3, 1]); // [B, H, c, L]
  const v = transpose(heads('v'), [0, 2, 1, 3]); // [B, H, L, c]
  const probs = softmax(add(matmul(q, k), bias), -1); // unscaled logits (T5)
  const out = reshape(transpose(matmul(probs, v), [0, 2, 1, 3]), [0, 0, cfg.dim_attn]);
  return projection(out, p, `${prefix}.attn.o`, cfg.dim, cfg.dim_attn);
}

function feedForward(x: Value, p: ParamSource, prefix: string, cfg: Umt5Config): Value {
  const gate = gelu(projection(x, p, `${prefix}.ffn.gate.0`, cfg.dim_ffn, cfg.dim), 'tanh');
  const hidden = mul(projection(x, p, `${prefix}.ffn.fc1`, cfg.dim_ffn, cfg.dim), gate);
  return projection(hidden, p, `${prefix}.ffn.fc2`, cfg.dim, cfg.dim_ffn);
}

export function buildUmt5EncoderGraph(cfg: Umt5Config, params: (g: Graph) => ParamSource, opts: Umt5GraphOptions = {}): Graph {
  const g = new Graph('umt5_encoder', { kernels: opts.kernels });
  const p = params(g);
  const ids = g.input('ids', 'int64', ['B', 'L']);
  const mask = g.input('mask', 'int64', ['B', 'L']);
  const buckets = g.input('rel_buckets', 'int64', ['L', 'L']);

  let x = gather(p('token_embedding.weight', [cfg.vocab_size, cfg.dim]), ids); // [B, L, dim]
  if (opts.debug) g.output(x, 'embeddings');
  const keyMasked = unsqueeze(equal(mask, 0), [1, 2]); // [B, 1, 1, L]
  const floatMin = g.constant(FLOAT32_MIN);

  for (let i = 0; i < cfg.encoder_layers; i++) {
    const prefix = `blocks.${i}`;
    g.scope(prefix, () => {
      const pos = positionBias(p, prefix, buckets, cfg);
      if (opts.debug) g.output(pos, `pos_bias.${i}`);
      const bias = where(keyMasked, floatMin, pos); // [B, H, L, L]
      x = add(x, selfAttention(rmsNorm(x, p(`${prefix}.norm1.weight`, [cfg.dim]), cfg.eps), p, prefix, cfg, bias));
      x = add(x, feedForward(rmsNorm(x, p(`${prefix}.norm2.weight`, [cfg.dim]), cfg.eps), p, prefix, cfg));
    });
    if (opts.debug) g.output(x, `block.${i}`);
  }

  const context = rmsNorm(x, p('norm.weight', [cfg.dim]), cfg.eps);
  g.output(context, 'context');
  // scope's WanTextEncoderWrapper zeroes rows ≥ seq_len; with a prefix mask that is context · mask.
  g.output(mul(context, unsqueeze(cast(mask, 'float32'), [2])), 'prompt_embeds');
  return g;
}
