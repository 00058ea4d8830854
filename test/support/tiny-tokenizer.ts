/** Test helpers: a hand-built unigram tokenizer.json in the shape T5/UMT5 fast tokenizers ship. */
import { t5TokenizerJson } from '../../src/model/text/unigram-json.ts';
// A real unigram tokenizer.json in the shape the T5/UMT5 fast tokenizers ship: special tokens
// 0–3, Metaspace pre-tokenizer ("▁" word boundaries, prefix always), TemplateProcessing that
// appends </s>. Scores are log-probabilities; the expected ids in the tests are the Viterbi best
// paths, worked out by hand (and once cross-checked against the Rust `tokenizers` 0.23.2 on this file).
export const PIECES: [string, number][] = [
  ['<pad>', 0], ['</s>', 0], ['<s>', 0], ['<unk>', 0],
  ['▁', -2], ['▁a', -3], ['▁cat', -4], ['▁c', -5], ['at', -5], ['s', -4], ['▁cats', -9],
  ['é', -5], ['▁日本', -6], ['日', -7], ['本', -7], ['!', -3], ["'", -4],
];
export const ID = Object.fromEntries(PIECES.map(([p], i) => [p, i])) as Record<string, number>;

export function tokenizerJson(model: Record<string, unknown> = { type: 'Unigram', unk_id: 3, vocab: PIECES, byte_fallback: false }) {
  return t5TokenizerJson(model);
}

