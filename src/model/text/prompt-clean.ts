/**
 * Wan's prompt cleaning, `clean='whitespace'` (wan/modules/tokenizers.py):
 *   ftfy.fix_text → html.unescape twice → strip → collapse every whitespace run to one space → strip.
 *
 * ftfy is a Python library with no TypeScript port. We reproduce the parts of `fix_text` (default
 * settings) that change ordinary prompts, in ftfy's order:
 *   HTML unescape when the text has no '<' (ftfy's "auto" rule), terminal escapes removed,
 *   Latin ligatures split (ﬁ → fi), full-width/half-width forms narrowed (Ａ → A, ideographic space → space),
 *   curly quotes straightened, line breaks unified, control characters removed, NFC.
 * NOT reproduced: mojibake repair (ftfy's `fix_encoding`, e.g. "Ã©" → "é"), C1-controls-as-cp1252
 * reinterpretation and surrogate-pair repair (JS strings make lone surrogates rare). A prompt with
 * mojibake therefore tokenises differently from upstream; everything else matches.
 */

const CP1252_C1: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02c6, 0x89: 0x2030,
  0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x8e: 0x017d, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022,
  0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02dc, 0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a, 0x9c: 0x0153, 0x9e: 0x017e, 0x9f: 0x0178,
};

/** Named entities prompts actually contain (Python knows all of HTML5; unknown names are left as they are). */
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '©', reg: '®', trade: '™', hellip: '…',
  mdash: '—', ndash: '–', lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', middot: '·', bull: '•',
  deg: '°', times: '×', divide: '÷', euro: '€', pound: '£', yen: '¥', cent: '¢', sect: '§', para: '¶', shy: '\u00ad',
  eacute: 'é', egrave: 'è', ecirc: 'ê', aacute: 'á', agrave: 'à', acirc: 'â', auml: 'ä', ouml: 'ö', uuml: 'ü', szlig: 'ß',
  ntilde: 'ñ', ccedil: 'ç', oacute: 'ó', iacute: 'í', uacute: 'ú', Eacute: 'É', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü',
};
/** Names Python also accepts without the trailing ';' (HTML5 legacy entities; the common ones). */
const LEGACY_NO_SEMICOLON = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp', 'copy', 'reg']);

function numericEntity(code: number): string {
  if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
  const mapped = CP1252_C1[code];
  if (mapped !== undefined) return String.fromCodePoint(mapped);
  // Python drops references to control characters (its _invalid_codepoints), except the five C1
  // codes cp1252 leaves undefined, which it returns as they are.
  const undefinedC1 = code === 0x81 || code === 0x8d || code === 0x8f || code === 0x90 || code === 0x9d;
  if ((code <= 0x08 || code === 0x0b || (code >= 0x0e && code <= 0x1f) || (code >= 0x7f && code <= 0x9f)) && !undefinedC1) return '';
  return String.fromCodePoint(code);
}

/** Python's html.unescape for numeric entities and the named entities above. */
export function htmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)/g, (whole, body: string) => {
    if (body.startsWith('#')) {
      const digits = body.replace(/;$/, '');
      const code = digits[1] === 'x' || digits[1] === 'X' ? parseInt(digits.slice(2), 16) : parseInt(digits.slice(1), 10);
      return numericEntity(code);
    }
    const semi = body.endsWith(';');
    const name = semi ? body.slice(0, -1) : body;
    const value = NAMED_ENTITIES[name];
    if (value !== undefined && (semi || LEGACY_NO_SEMICOLON.has(name))) return value;
    // As Python: otherwise the longest legacy name that prefixes it ("&ampx" → "&x").
    for (let n = name.length - 1; n >= 2; n--) {
      const prefix = name.slice(0, n);
      if (LEGACY_NO_SEMICOLON.has(prefix)) return NAMED_ENTITIES[prefix]! + body.slice(n);
    }
    return whole;
  });
}

const TERMINAL_ESCAPE = /\x1b\[[0-9;]*[A-Za-z]/g;
const LIGATURES = /[\ufb00-\ufb06\u0132\u0133\u0149\u01c4-\u01cc\u01f1-\u01f3]/g;
const WIDTH_FORMS = /[\u3000\uff01-\uffef]/g;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;
const LINE_BREAKS = /\r\n|[\r\u2028\u2029\u0085]/g;
// ftfy's remove_control_chars: C0 except \t \n \f \r, DEL, C1, deprecated format chars, BOM, interlinear annotation, tag characters.
const CONTROL_CHARS = /[\u0000-\u0008\u000b\u000e-\u001f\u007f-\u009f\u206a-\u206f\ufeff\ufff9-\ufffc]|\udb40[\udc00-\udc7f]/g;

/** The subset of ftfy.fix_text described in the file comment. */
export function fixText(text: string): string {
  let t = text.includes('<') ? text : htmlUnescape(text);
  t = t.replace(TERMINAL_ESCAPE, '');
  t = t.replace(LIGATURES, (c) => c.normalize('NFKC'));
  t = t.replace(WIDTH_FORMS, (c) => c.normalize('NFKC'));
  t = t.replace(SINGLE_QUOTES, "'").replace(DOUBLE_QUOTES, '"');
  t = t.replace(LINE_BREAKS, '\n');
  t = t.replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

/** Wan's clean='whitespace': the text the tokenizer sees (and the prompt cache's key). */
export function cleanPrompt(text: string): string {
  const basic = htmlUnescape(htmlUnescape(fixText(text))).trim();
  return basic.replace(/\s+/g, ' ').trim();
}
