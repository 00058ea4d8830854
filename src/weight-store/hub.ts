/** Where hub files live: base URL (configurable) and the resolve URL of one file. */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Explicit option, else $VACE_HUB_URL, else the Hugging Face hub. Trailing slashes are dropped. */
export function hubBaseUrl(explicit?: string): string {
  const raw = explicit ?? process.env.VACE_HUB_URL ?? DEFAULT_HUB_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`hub URL "${raw}" is not a valid URL (set by ${explicit !== undefined ? 'the hubUrl option' : 'VACE_HUB_URL'})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`hub URL "${raw}" must be http:// or https://`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * `${hub}/${repo}/resolve/${revision}/${file}`, each path segment percent-encoded. A '.' or '..'
 * segment is refused: the URL parser would resolve it and fetch another file of the hub.
 */
export function resolveUrl(hub: string, repo: string, revision: string, file: string): string {
  const enc = (p: string) =>
    p
      .split('/')
      .map((seg) => {
        if (seg === '.' || seg === '..' || seg === '') throw new Error(`hub path "${p}" has an empty, "." or ".." segment`);
        return encodeURIComponent(seg);
      })
      .join('/');
  // The revision is one segment (a '/' in a branch name is encoded), so only it as a whole can be a dot segment.
  if (revision === '.' || revision === '..' || revision === '') throw new Error(`hub revision "${revision}" is not a revision`);
  return `${hub.replace(/\/+$/, '')}/${enc(repo)}/resolve/${encodeURIComponent(revision)}/${enc(file)}`;
}

/** $VACE_MODELS_DIR, else ~/.cache/vace-live/models. */
export function defaultModelsDir(): string {
  return process.env.VACE_MODELS_DIR ?? join(homedir(), '.cache', 'vace-live', 'models');
}

/** The hub token is sent only to the Hugging Face hub unless the caller passes one explicitly. */
export function hubToken(hub: string, explicit?: string): string | undefined {
  if (explicit) return explicit;
  const env = process.env.HF_TOKEN;
  if (!env) return undefined;
  const host = new URL(hub).hostname;
  return host === 'huggingface.co' || host.endsWith('.huggingface.co') || host === 'hf.co' ? env : undefined;
}
