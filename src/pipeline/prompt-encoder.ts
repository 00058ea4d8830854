/**
 * Prompt text → text-encoder embeddings [text_len, text_dim], for the session's prompt syntax
 * `text:weight | text:weight`: each part is encoded on its own (off the hot path, in the
 * encoder worker) and the parts are blended — linear with norm preservation, or slerp for two.
 */
import type { F32Tensor } from '../model/tensor.ts';
import { blendEmbeddings, parseWeightedPrompts, type Interpolation } from './prompt-blend.ts';

export interface TextEmbedder {
  embed(text: string): Promise<F32Tensor>;
}

export class WeightedPromptEncoder {
  readonly #embedder: TextEmbedder;
  readonly interpolation: Interpolation;

  constructor(embedder: TextEmbedder, interpolation: Interpolation = 'linear') {
    this.#embedder = embedder;
    this.interpolation = interpolation;
  }

  async encode(prompt: string, interpolation: Interpolation = this.interpolation): Promise<F32Tensor> {
    const parts = parseWeightedPrompts(prompt);
    if (parts.length === 1) return this.#embedder.embed(parts[0]!.text);
    const embeddings = await Promise.all(parts.map((p) => this.#embedder.embed(p.text)));
    return blendEmbeddings(parts.map((p, i) => ({ embedding: embeddings[i]!, weight: p.weight })), interpolation);
  }
}
