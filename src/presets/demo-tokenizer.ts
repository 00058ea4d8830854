/**
 * The demo preset's tokenizer: a real SentencePiece-unigram `tokenizer.json` (the format the
 * UMT5 weights ship with) over a small English vocabulary — whole common words, then single
 * letters, digits and punctuation so every ASCII prompt tokenises without <unk>. Generated
 * deterministically; scores favour whole words over spelling them out.
 */
import { t5TokenizerJson } from '../model/text/unigram-json.ts';

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
  return t5TokenizerJson({ type: 'Unigram', unk_id: 3, vocab: pieces, byte_fallback: false });
}

export function demoVocabSize(): number {
  return (demoTokenizerJson().model as { vocab: unknown[] }).vocab.length;
}
