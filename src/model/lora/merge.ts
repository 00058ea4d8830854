/**
 * LoRA merging at load time: W' = W + scale·(B·A) for every adapted Linear, with PEFT key names
 * (`…<module>.lora_A[.default].weight` [r, in], `…<module>.lora_B[.default].weight` [out, r]),
 * an optional `base_model.model.` prefix and a `generator_lora` wrapper dict (LongLive's lora.pt).
 * The products run as one small ORT MatMul graph (fast even for 1536×256×1536 adapters).
 */
import type { Checkpoint } from '../weights/checkpoint.ts';
import { Graph } from '../onnx/graph.ts';
import { add, matmul, mul } from '../onnx/ops.ts';
import { ModelSession } from '../runtime/session.ts';
import { f32, type F32Tensor } from '../tensor.ts';

export interface LoraPair {
  /** Key of the adapted weight in the base state dict (e.g. blocks.0.self_attn.q.weight). */
  target: string;
  a: string;
  b: string;
}

const LORA_KEY = /^(?:generator_lora\.)?(?:base_model\.model\.)?(?:model\.)?(.+)\.lora_([AB])(?:\.[A-Za-z0-9_]+)?\.weight$/;

/** Finds the adapter pairs in a LoRA checkpoint; errors name the file and the orphaned key. */
export function loraPairs(ckpt: Checkpoint): LoraPair[] {
  const byModule = new Map<string, { a?: string; b?: string }>();
  for (const key of ckpt.keys()) {
    const m = LORA_KEY.exec(key);
    if (!m) continue;
    const entry = byModule.get(m[1]!) ?? {};
    if (m[2] === 'A') entry.a = key;
    else entry.b = key;
    byModule.set(m[1]!, entry);
  }
  const pairs: LoraPair[] = [];
  for (const [module, { a, b }] of byModule) {
    if (!a || !b) throw new Error(`${ckpt.path}: LoRA module "${module}" has lora_${a ? 'A' : 'B'} but no lora_${a ? 'B' : 'A'}`);
    pairs.push({ target: `${module}.weight`, a, b });
  }
  if (pairs.length === 0) throw new Error(`${ckpt.path}: no LoRA weights (…lora_A.weight / …lora_B.weight) found`);
  return pairs;
}

export class LoraMerger {
  readonly #session: ModelSession;

  private constructor(session: ModelSession) {
    this.#session = session;
  }

  static async create(): Promise<LoraMerger> {
    const g = new Graph('lora_merge');
    const w = g.input('w', 'float32', ['out', 'in']);
    const a = g.input('a', 'float32', ['r', 'in']);
    const b = g.input('b', 'float32', ['out', 'r']);
    const scale = g.input('scale', 'float32', [1]);
    g.output(add(w, mul(matmul(b, a), scale)), 'merged');
    return new LoraMerger(await ModelSession.fromGraph(g));
  }

  async merge(w: F32Tensor, a: F32Tensor, b: F32Tensor, scale: number, what: string): Promise<F32Tensor> {
    const [out, inn] = w.shape as [number, number];
    if (w.shape.length !== 2 || a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== inn || b.shape[0] !== out || a.shape[0] !== b.shape[1]) {
      throw new Error(`LoRA for ${what}: A [${a.shape.join(', ')}] and B [${b.shape.join(', ')}] do not fit the weight [${w.shape.join(', ')}]`);
    }
    const r = await this.#session.run({ w, a, b, scale: f32([1], [scale]) });
    return r.merged as F32Tensor;
  }

  release(): Promise<void> {
    return this.#session.release();
  }
}
