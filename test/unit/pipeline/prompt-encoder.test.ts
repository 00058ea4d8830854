/** WeightedPromptEncoder: prompt syntax `text:weight | text:weight` → one embedding, on a fake text embedder. */
import { describe, expect, it } from 'vitest';
import { f32, type F32Tensor } from '../../../src/model/tensor.ts';
import { blendEmbeddings } from '../../../src/pipeline/prompt-blend.ts';
import { WeightedPromptEncoder, type TextEmbedder } from '../../../src/pipeline/prompt-encoder.ts';

/** Fixed [2 tokens, 2 dims] embeddings per text (one tensor object per text); records every call. */
class FakeEmbedder implements TextEmbedder {
  readonly calls: string[] = [];
  readonly made = new Map<string, F32Tensor>();
  readonly table: Record<string, number[]> = {
    '': [0, 0, 0, 0],
    cat: [1, 0, 2, 0],
    dog: [0, 1, 0, 3],
    fox: [1, 1, -1, 1],
    'a clock at 10:30': [5, 5, 5, 5],
  };

  async embed(text: string): Promise<F32Tensor> {
    this.calls.push(text);
    const v = this.table[text];
    if (!v) throw new Error(`fake embedder: no embedding for "${text}"`);
    if (!this.made.has(text)) this.made.set(text, f32([2, 2], v));
    return this.made.get(text)!;
  }
}

const values = (t: F32Tensor) => Array.from(t.data);

describe('WeightedPromptEncoder', () => {
  it('passes a single prompt straight through to the embedder (its tensor, unblended)', async () => {
    const fake = new FakeEmbedder();
    const enc = new WeightedPromptEncoder(fake);
    const out = await enc.encode('  cat  ');
    expect(fake.calls).toEqual(['cat']);
    expect(out).toBe(fake.made.get('cat'));
    expect(values(out)).toEqual([1, 0, 2, 0]);
  });

  it('treats a time of day as text, strips a lone weight, and embeds an empty prompt as ""', async () => {
    const fake = new FakeEmbedder();
    const enc = new WeightedPromptEncoder(fake);
    await enc.encode('a clock at 10:30');
    // A single part with a weight is still a single part: scaling one prompt by its weight would change nothing after normalisation.
    await enc.encode('cat:0.25');
    await enc.encode(' | ');
    expect(fake.calls).toEqual(['a clock at 10:30', 'cat', '']);
  });

  it('embeds each weighted part once and blends them like blendEmbeddings (linear by default)', async () => {
    const fake = new FakeEmbedder();
    const enc = new WeightedPromptEncoder(fake);
    expect(enc.interpolation).toBe('linear');
    const out = await enc.encode('cat:1 | dog:3 | fox');
    expect(fake.calls).toEqual(['cat', 'dog', 'fox']);
    const e = new FakeEmbedder();
    const want = blendEmbeddings(
      [
        { embedding: await e.embed('cat'), weight: 1 },
        { embedding: await e.embed('dog'), weight: 3 },
        { embedding: await e.embed('fox'), weight: 1 },
      ],
      'linear',
    );
    expect(out.shape).toEqual([2, 2]);
    values(out).forEach((v, i) => expect(v).toBeCloseTo(want.data[i]!, 6));
  });

  it('uses the constructor\'s interpolation, and a per-call one over it', async () => {
    const e = new FakeEmbedder();
    const items = [
      { embedding: await e.embed('cat'), weight: 1 },
      { embedding: await e.embed('dog'), weight: 3 },
    ];
    const linear = blendEmbeddings(items, 'linear');
    const slerp = blendEmbeddings(items, 'slerp');
    // The two rules really differ on these inputs, so the checks below tell them apart.
    expect(Math.abs(linear.data[0]! - slerp.data[0]!)).toBeGreaterThan(0.05);

    const slerpEnc = new WeightedPromptEncoder(new FakeEmbedder(), 'slerp');
    expect(slerpEnc.interpolation).toBe('slerp');
    values(await slerpEnc.encode('cat:1 | dog:3')).forEach((v, i) => expect(v).toBeCloseTo(slerp.data[i]!, 6));
    values(await slerpEnc.encode('cat:1 | dog:3', 'linear')).forEach((v, i) => expect(v).toBeCloseTo(linear.data[i]!, 6));
    const linEnc = new WeightedPromptEncoder(new FakeEmbedder());
    values(await linEnc.encode('cat:1 | dog:3', 'slerp')).forEach((v, i) => expect(v).toBeCloseTo(slerp.data[i]!, 6));
  });

  it('passes on errors: slerp of three prompts, all-zero weights, a failing embedder', async () => {
    const enc = new WeightedPromptEncoder(new FakeEmbedder(), 'slerp');
    await expect(enc.encode('cat | dog | fox')).rejects.toThrow(/slerp blends exactly two prompts, got 3/);
    await expect(enc.encode('cat:0 | dog:0', 'linear')).rejects.toThrow(/sum to 0/);
    await expect(enc.encode('cat | horse')).rejects.toThrow('fake embedder: no embedding for "horse"');
    await expect(enc.encode('cat:-1 | dog')).rejects.toThrow(/weight -1 must be ≥ 0/);
  });
});
