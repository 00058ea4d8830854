/**
 * Which fused onnxruntime kernels a graph is built with. A graph is built once for one execution
 * provider, so the choice is made at build time (`new Graph(name, { kernels })`) and read by the
 * builders in nn.ts / wan/block.ts / text/graph.ts, which emit either the fused contrib op
 * (fused.ts) or the plain-op composition it replaces. Both compute the same maths; the fused ops
 * only run faster where the provider has a real kernel for them.
 *
 * Kernels each provider registers in onnxruntime 1.30 (contrib_ops/{cpu,cuda,webgpu}/*_contrib_kernels.cc,
 * float32; placement on webgpu checked here with session.disable_cpu_ep_fallback=1):
 *
 * | op (domain)                                      | cpu | cuda | webgpu |
 * |--------------------------------------------------|-----|------|--------|
 * | MultiHeadAttention (com.microsoft)               | yes | yes  | yes    |
 * |   … with attention_bias [B or 1, H, Lq, Lk]      | yes | yes  | yes    |
 * | GroupQueryAttention (com.microsoft)              | yes | fp16/bf16 only | yes |
 * | RotaryEmbedding (com.microsoft), interleaved     | yes | yes  | yes    |
 * | SimplifiedLayerNormalization (ai.onnx, ORT's)    | yes | yes  | yes    |
 * | SkipSimplifiedLayerNormalization (com.microsoft) | yes | yes  | yes    |
 *
 * GroupQueryAttention is not used: CUDA has no float32 kernel and MHA covers our (non-grouped)
 * heads. SkipSimplifiedLayerNormalization (Add + RMSNorm in one) is not used either: Wan's RMSNorms
 * are the q/k norms, never after a residual Add; only UMT5 (run once per prompt) has Add → RMSNorm,
 * and using it there would mean restructuring its residual loop for one elementwise Add per norm.
 * ORT 1.30 does not fuse Add + SimplifiedLayerNormalization by itself (checked on cpu and webgpu
 * with optimizedModelFilePath).
 *
 * WebGPU MultiHeadAttention is NOT used: for head sizes divisible by 4 (Wan's 64, UMT5's 64, the
 * fixtures' 32) ORT 1.30's WebGPU kernel takes its subgroup flash-attention shader, and on Mesa
 * lavapipe (the only WebGPU adapter here) that shader is wrong once queries and keys both reach
 * about 32 tokens: max error 0.03–0.3 against CPU on random inputs, changing with
 * LP_NATIVE_VECTOR_WIDTH (the subgroup size), while head sizes not divisible by 4 (the non-flash
 * kernel) and our plain composition on the same adapter agree to 1e-7. Whether real GPUs get it
 * right could not be checked here; `VACE_DEVICE=webgpu VACE_KERNELS=fused` runs the golden suite
 * with it on. RMSNorm and RoPE are fused on webgpu (they agree with CPU to 1e-6 there).
 *
 * CUDA gets the whole fused set; no CUDA device was available to run the golden suite on it.
 *
 * CPU uses the fused set too. Measured on the `small` bench config (720 tokens, a 2160-token KV
 * window, 48 zero keys; 2 threads, variants interleaved run by run, medians of 20): main pass
 * 147.6 ms plain → 142.1 ms fused, VACE hint pass 63.2 → 56.7 ms; attention alone or RMSNorm +
 * RoPE alone each gave part of that. `npm run bench:stream -- --config small --threads 2
 * --kernels plain|auto` compares the whole stream.
 */

/** Per-op switch: true emits the fused contrib op, false the plain composition. */
export interface KernelSet {
  /** com.microsoft.MultiHeadAttention for nn.attention and UMT5's biased attention. */
  readonly attention: boolean;
  /** SimplifiedLayerNormalization for nn.rmsNorm. */
  readonly rmsNorm: boolean;
  /** com.microsoft.RotaryEmbedding (interleaved) for Wan's 3-D RoPE. */
  readonly rope: boolean;
}

export const PLAIN_KERNELS: KernelSet = Object.freeze({ attention: false, rmsNorm: false, rope: false });
export const FUSED_KERNELS: KernelSet = Object.freeze({ attention: true, rmsNorm: true, rope: true });

/** The execution providers we build for (the same names as runtime's Device). */
export type KernelProvider = 'cpu' | 'webgpu' | 'cuda';

/** 'auto': the set measured best for the provider; 'fused' / 'plain': force one set (tests, benchmarks). */
export type KernelChoice = 'auto' | 'fused' | 'plain';
export const KERNEL_CHOICES: readonly KernelChoice[] = ['auto', 'fused', 'plain'];

const BY_PROVIDER: Readonly<Record<KernelProvider, KernelSet>> = {
  cpu: FUSED_KERNELS,
  cuda: FUSED_KERNELS,
  // Attention stays plain on webgpu: see the note on WebGPU MultiHeadAttention above.
  webgpu: Object.freeze({ attention: false, rmsNorm: true, rope: true }),
};

export function kernelSet(provider: KernelProvider = 'cpu', choice: KernelChoice = 'auto'): KernelSet {
  if (choice === 'fused') return FUSED_KERNELS;
  if (choice === 'plain') return PLAIN_KERNELS;
  if (choice !== 'auto') throw new Error(`kernel set must be one of ${KERNEL_CHOICES.join(', ')}, got "${String(choice)}"`);
  const set = BY_PROVIDER[provider];
  if (!set) throw new Error(`no kernel set for execution provider "${String(provider)}"`);
  return set;
}

/** Parses a kernel-set name (e.g. from VACE_KERNELS); empty or undefined is 'auto'. */
export function parseKernelChoice(value: string | undefined): KernelChoice {
  const v = (value ?? '').trim().toLowerCase() || 'auto';
  if (!(KERNEL_CHOICES as readonly string[]).includes(v)) throw new Error(`kernel set must be one of ${KERNEL_CHOICES.join(', ')}, got "${value}"`);
  return v as KernelChoice;
}
