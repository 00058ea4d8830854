/**
 * The schema of a preset's file manifest (which hub files it needs, where they live, their hashes)
 * and the reader that validates such a manifest. Which presets exist is the catalogue's business
 * (src/presets/catalog.ts and its registry.json): the weight store is handed manifests.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const SHA256 = /^[0-9a-f]{64}$/;

// A local path must stay inside the models directory: relative, forward slashes, no '..'.
const localPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((s) => s === '..' || s === '' || s === '.'), {
    message: 'must be a relative path inside the models directory (no "..", no leading "/")',
  });

// A hub file path or revision goes into the download URL: no dot segment may move it to
// another place on the hub (the URL parser would resolve '..' before the request is sent).
const hubPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.includes('\\') && !p.split('/').some((s) => s === '..' || s === '' || s === '.'), {
    message: 'must be a relative path in the repository (no "." or ".." segments, no leading "/")',
  });

const modelFileSchema = z
  .object({
    role: z.string().min(1),
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'must be "owner/name"'),
    revision: hubPath,
    path: hubPath,
    local: localPath,
    size: z.number().int().positive().nullable(),
    sha256: z.string().regex(SHA256, 'must be 64 lowercase hex digits').nullable(),
    format: z.string().min(1),
    sources: z.array(z.string().min(1)).min(1),
    note: z.string().optional(),
  })
  .strict();

const presetSchema = z
  .object({
    kind: z.enum(['download', 'generated']),
    title: z.string().min(1),
    description: z.string().min(1),
    generatedDir: localPath.optional(),
    files: z.array(modelFileSchema),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.kind === 'generated' && p.files.length > 0) {
      ctx.addIssue({ code: 'custom', message: 'a generated preset downloads nothing: files must be empty', path: ['files'] });
    }
    if (p.kind === 'download' && p.files.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a download preset needs at least one file', path: ['files'] });
    }
    const seen = new Set<string>();
    p.files.forEach((f, i) => {
      if (seen.has(f.local)) ctx.addIssue({ code: 'custom', message: `duplicate local path "${f.local}"`, path: ['files', i, 'local'] });
      seen.add(f.local);
    });
  });

const registrySchema = z
  .object({
    $comment: z.string().optional(),
    version: z.literal(1),
    presets: z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/), presetSchema),
  })
  .strict();

export type ModelFile = z.infer<typeof modelFileSchema>;
export type PresetSpec = z.infer<typeof presetSchema>;
/** A preset with its name attached; what every manager function takes. */
export interface Preset extends PresetSpec {
  name: string;
}

export interface Registry {
  presets: Preset[];
}

/** Validate registry data; errors name the source and the offending field. */
export function parseRegistry(data: unknown, source = 'registry'): Registry {
  const parsed = registrySchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`${source}: invalid model registry: ${issues}`);
  }
  return { presets: Object.entries(parsed.data.presets).map(([name, spec]) => ({ name, ...spec })) };
}

export function loadRegistry(path: string): Registry {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read model registry: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: model registry is not valid JSON: ${(e as Error).message}`);
  }
  return parseRegistry(data, path);
}

/** Sum of the known sizes, and how many files have no recorded size. */
export function presetKnownBytes(preset: Preset): { bytes: number; unknownSizes: number } {
  let bytes = 0;
  let unknownSizes = 0;
  for (const f of preset.files) {
    if (f.size === null) unknownSizes++;
    else bytes += f.size;
  }
  return { bytes, unknownSizes };
}
