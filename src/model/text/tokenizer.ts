/**
 * The UMT5 tokenizer as Wan2.1 calls it: prompt cleaned (clean='whitespace'), then the fast
 * tokenizer from `tokenizer.json` (SentencePiece unigram; read by @huggingface/tokenizers, pure
 * TS, no network), `add_special_tokens=True` (only `</s>` appended), truncation to text_len with
 * room kept for `</s>`, padding with `<pad>` to text_len. Returns ids and mask.
 *
 * As upstream, special-token strings typed in a prompt ("</s>", "<pad>") are recognised as
 * those tokens.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import type { Tensor } from '../tensor.ts';
import { cleanPrompt } from './prompt-clean.ts';

export interface TokenizedPrompt {
  /** The cleaned text that was tokenised (the prompt cache's key). */
  readonly text: string;
  /** text_len ids: content, `</s>`, then `<pad>`. */
  readonly ids: Int32Array;
  /** text_len entries: 1 for content and `</s>`, 0 for padding. */
  readonly mask: Uint8Array;
  /** Real tokens, `</s>` included (= Σ mask). */
  readonly length: number;
  /** Content ids that did not fit and were cut. */
  readonly truncatedTokens: number;
}

export interface Umt5TokenizerOptions {
  /** Sequence length after padding/truncation (Wan: 512). */
  textLen?: number;
}

interface TokenizerConfigFile {
  eos_token?: string | { content?: string };
  pad_token?: string | { content?: string };
}

function tokenName(v: string | { content?: string } | undefined, fallback: string): string {
  if (typeof v === 'string') return v;
  return v?.content ?? fallback;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export class Umt5Tokenizer {
  readonly textLen: number;
  readonly eosId: number;
  readonly padId: number;
  readonly #tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer, config: TokenizerConfigFile, textLen: number, source: string) {
    if (!Number.isInteger(textLen) || textLen < 1) throw new Error(`${source}: textLen must be a positive integer, got ${textLen}`);
    this.#tokenizer = tokenizer;
    this.textLen = textLen;
    const eos = tokenName(config.eos_token, '</s>');
    const pad = tokenName(config.pad_token, '<pad>');
    const eosId = tokenizer.token_to_id(eos);
    const padId = tokenizer.token_to_id(pad);
    if (eosId === undefined) throw new Error(`${source}: the vocabulary has no eos token "${eos}"`);
    if (padId === undefined) throw new Error(`${source}: the vocabulary has no pad token "${pad}"`);
    this.eosId = eosId;
    this.padId = padId;
    // We add </s> ourselves (so truncation keeps room for it); check the file's post-processor agrees.
    const probe = tokenizer.encode('', { add_special_tokens: true }).ids;
    if (probe.length !== 1 || probe[0] !== eosId) {
      throw new Error(`${source}: post_processor adds [${probe.join(', ')}] to a sequence; expected only "${eos}" (${eosId}) as T5 does`);
    }
  }

  /** From parsed tokenizer.json (and optionally tokenizer_config.json) objects. */
  static fromJson(tokenizerJson: unknown, config: unknown = {}, opts: Umt5TokenizerOptions = {}, source = 'tokenizer.json'): Umt5Tokenizer {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null) throw new Error(`${source}: expected a JSON object`);
    const model = (tokenizerJson as { model?: { type?: string } }).model;
    if (!model || model.type !== 'Unigram') throw new Error(`${source}: model.type is ${JSON.stringify(model?.type)}, expected "Unigram" (SentencePiece)`);
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, (config ?? {}) as object);
    } catch (e) {
      throw new Error(`${source}: cannot build the tokenizer: ${(e as Error).message}`);
    }
    return new Umt5Tokenizer(tokenizer, (config ?? {}) as TokenizerConfigFile, opts.textLen ?? 512, source);
  }

  /** From a folder holding tokenizer.json (and tokenizer_config.json when present), or a tokenizer.json path. */
  static fromFile(path: string, opts: Umt5TokenizerOptions = {}): Umt5Tokenizer {
    if (!existsSync(path)) throw new Error(`tokenizer not found: ${path}`);
    const dir = statSync(path).isDirectory() ? path : undefined;
    const jsonPath = dir ? join(dir, 'tokenizer.json') : path;
    const configPath = join(dir ?? join(path, '..'), 'tokenizer_config.json');
    const config = existsSync(configPath) ? readJson(configPath) : {};
    return Umt5Tokenizer.fromJson(readJson(jsonPath), config, opts, jsonPath);
  }

  /** Content ids of already-cleaned text, without special tokens. */
  contentIds(cleaned: string): number[] {
    return this.#tokenizer.encode(cleaned, { add_special_tokens: false }).ids;
  }

  encode(prompt: string): TokenizedPrompt {
    if (typeof prompt !== 'string') throw new Error(`prompt must be a string, got ${typeof prompt}`);
    const text = cleanPrompt(prompt);
    const content = this.contentIds(text);
    const keep = Math.min(content.length, this.textLen - 1);
    const ids = new Int32Array(this.textLen).fill(this.padId);
    const mask = new Uint8Array(this.textLen);
    for (let i = 0; i < keep; i++) ids[i] = content[i]!;
    ids[keep] = this.eosId;
    mask.fill(1, 0, keep + 1);
    return { text, ids, mask, length: keep + 1, truncatedTokens: content.length - keep };
  }

  /** A batch as the encoder takes it: ids and mask [B, text_len] int64. */
  encodeBatch(prompts: readonly string[]): { ids: Tensor<'int64'>; mask: Tensor<'int64'>; prompts: TokenizedPrompt[] } {
    const tokenized = prompts.map((p) => this.encode(p));
    return { ...toEncoderInputs(tokenized, this.textLen), prompts: tokenized };
  }
}

export function toEncoderInputs(prompts: readonly TokenizedPrompt[], textLen: number): { ids: Tensor<'int64'>; mask: Tensor<'int64'> } {
  const ids = new BigInt64Array(prompts.length * textLen);
  const mask = new BigInt64Array(prompts.length * textLen);
  prompts.forEach((p, b) => {
    if (p.ids.length !== textLen) throw new Error(`prompt ${b} has ${p.ids.length} ids, expected ${textLen}`);
    for (let j = 0; j < textLen; j++) {
      ids[b * textLen + j] = BigInt(p.ids[j]!);
      mask[b * textLen + j] = BigInt(p.mask[j]!);
    }
  });
  return { ids: { dtype: 'int64', shape: [prompts.length, textLen], data: ids }, mask: { dtype: 'int64', shape: [prompts.length, textLen], data: mask } };
}
