/**
 * A `tokenizer.json` in the layout the T5/UMT5 fast tokenizers ship: special tokens
 * `<pad> </s> <s> <unk>` at ids 0–3, whitespace normalisation, Metaspace pre-tokenizer ("▁" word
 * boundaries, prefix always) and a template that appends `</s>`. `model` is the tokenizer model
 * section, usually `{ type: 'Unigram', unk_id: 3, vocab: [[piece, logProb], …] }`.
 */
export function t5TokenizerJson(model: Record<string, unknown>): Record<string, unknown> {
  const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special('<pad>', 0), special('</s>', 1), special('<s>', 2), special('<unk>', 3)],
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Strip', strip_left: false, strip_right: true }, { type: 'Replace', pattern: { Regex: ' {2,}' }, content: '▁' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model,
  };
}
