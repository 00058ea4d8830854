/**
 * The demo preset's tokenizer: a real SentencePiece-unigram `tokenizer.json` (the format the
 * UMT5 weights ship with) over a small English vocabulary — whole common words, then single
 * letters, digits and punctuation so every ASCII prompt tokenises without <unk>. Generated
 * deterministically; scores favour whole words over spelling them out.
 */
const WORDS = (
  'a an the of and or in on at to with from by for is are was be it this that as ' +
  'cat dog bird fish horse person man woman girl boy child face eyes hair hand ' +
  'city street forest ocean sea river lake mountain desert sky cloud clouds sun moon star stars night day ' +
  'fire water ice snow rain storm light dark shadow neon glow glowing bright colorful ' +
  'red orange yellow green blue purple pink black white gray gold silver ' +
  'painting portrait landscape abstract style oil watercolor sketch anime cartoon photo cinematic ' +
  'realistic surreal dream dreamy psychedelic cyberpunk steampunk fantasy futuristic retro vintage ' +
  'flower flowers tree trees garden field grass leaves autumn spring summer winter ' +
  'robot machine car train ship space planet galaxy crystal metal glass wood stone ' +
  'dancing running walking flying swimming smiling looking standing sitting ' +
  'beautiful detailed dramatic soft warm cold big small old young new ' +
  'vj visuals music party stage concert lights laser smoke'
).split(/\s+/);

export function demoTokenizerJson(): Record<string, unknown> {
  const pieces: [string, number][] = [['<pad>', 0], ['</s>', 0], ['<s>', 0], ['<unk>', 0], ['▁', -3]];
  for (const w of WORDS) pieces.push([`▁${w}`, -4 - w.length * 0.1]);
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?:;\'"()-_/&%+*#@';
  for (const c of chars) {
    pieces.push([`▁${c}`, -9]);
    pieces.push([c, -8]);
  }
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
    model: { type: 'Unigram', unk_id: 3, vocab: pieces, byte_fallback: false },
  };
}

export function demoVocabSize(): number {
  return (demoTokenizerJson().model as { vocab: unknown[] }).vocab.length;
}
