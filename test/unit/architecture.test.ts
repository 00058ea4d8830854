/**
 * The layer order of the code base, written down once, and the test that holds every import to
 * it. A module may import its own layer or a lower one, never a higher one: data flows down the
 * frame's journey (the server drives the stream, the stream drives the pipeline, the pipeline runs
 * the models), and nothing low reaches back up. A folder that appears in no layer fails the test,
 * so a new folder is placed on purpose.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = normalize(join(dirname(fileURLToPath(import.meta.url)), '..', '..'));

/** Bottom to top. Each entry is a file or a folder (everything under it), relative to the repo root. */
export const LAYERS: readonly (readonly string[])[] = [
  ['src/frames.ts', 'src/model/tensor.ts', 'src/model/prng.ts'], // primitives: frames, tensors, the seeded PRNG
  ['src/model/weights'], // checkpoint readers and writers
  ['src/model/onnx'], // our ONNX graph builder
  ['src/model/runtime'], // the only code that touches onnxruntime
  ['src/model/lora', 'src/model/wan', 'src/model/tae', 'src/model/text', 'src/model/depth', 'src/model/scribble'], // the model graphs
  ['cache'], // KV, TAE, reference-hint and prompt caches
  ['src/pipeline', 'controls'], // the per-chunk generator; the control annotators and masks
  ['src/weight-store'], // the weight store: registry, downloads, verification
  ['src/presets'], // loading a named preset into a generator
  ['src/media', 'src/stream'], // WebRTC media bridge; the live session pipeline and its parameters
  ['src/render'], // the offline renderer
  ['src/server'], // HTTP, WebSocket, WHIP/WHEP
  ['src/cli'], // the vace-live command
  ['bench', 'client'], // benchmarks; the browser app (bundled by Vite, may share src/stream's schema)
];

/** Imports whose specifier is computed at run time, with the reason each one cannot be static. */
const DYNAMIC_IMPORT_ALLOWED: Readonly<Record<string, string>> = {
  'src/model/runtime/worker-boot.mjs: import(entry)': 'the one boot file of every worker thread loads the entry module its WorkerClient names',
};

const SOURCE = /\.(ts|mts|mjs)$/;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.config.ts')) out.push(p);
  }
  return out;
}

/** The layer index of a repo-relative path, or undefined when no layer names it. */
export function layerOf(path: string): number | undefined {
  let best: { layer: number; length: number } | undefined;
  LAYERS.forEach((entries, layer) => {
    for (const e of entries) {
      if ((path === e || path.startsWith(`${e}/`)) && (!best || e.length > best.length)) best = { layer, length: e.length };
    }
  });
  return best?.layer;
}

interface ImportRef {
  file: string;
  specifier: string;
  /** Repo-relative target, for relative specifiers. */
  target?: string;
}

const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?from\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT_IMPORT = /^\s*import\s*['"]([^'"]+)['"]/gm;
const LITERAL_DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
const ANY_DYNAMIC_IMPORT = /\bimport\(\s*([^)'"`\s][^)]*|`[^`]*\$\{[^`]*`)\)/g;
const WORKER_URL = /new\s+URL\(\s*['"](\.[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g;

/** Comments are stripped first so that an example in a doc comment is not taken for an import. */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

export function importsOf(file: string, text: string): ImportRef[] {
  const code = stripComments(text);
  const refs: ImportRef[] = [];
  for (const re of [STATIC_IMPORT, SIDE_EFFECT_IMPORT, LITERAL_DYNAMIC_IMPORT, WORKER_URL]) {
    for (const m of code.matchAll(re)) {
      const specifier = m[1]!;
      const target = specifier.startsWith('.') ? normalize(join(dirname(file), specifier)).split('\\').join('/') : undefined;
      refs.push({ file, specifier, ...(target !== undefined ? { target } : {}) });
    }
  }
  return refs;
}

const FILES = ['src', 'cache', 'controls', 'bench', 'client'].flatMap(sourceFiles);

describe('architecture', () => {
  it('every source file sits in a layer', () => {
    const unplaced = FILES.filter((f) => layerOf(f) === undefined);
    expect(unplaced, 'add these to LAYERS in test/unit/architecture.test.ts').toEqual([]);
  });

  it('no import points to a higher layer', () => {
    const upward: string[] = [];
    for (const file of FILES) {
      const from = layerOf(file)!;
      for (const ref of importsOf(file, readFileSync(join(ROOT, file), 'utf8'))) {
        if (ref.target === undefined) continue;
        if (ref.target.startsWith('test/')) {
          upward.push(`${file} → ${ref.specifier} (product and bench code never import tests)`);
          continue;
        }
        const to = layerOf(ref.target);
        if (to === undefined) continue; // assets (onnx.proto, registry.json, package.json) are not layered
        if (to > from) upward.push(`${file} (layer ${from}: ${LAYERS[from]!.join(', ')}) → ${ref.target} (layer ${to}: ${LAYERS[to]!.join(', ')})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('imports are static: no specifier computed at run time', () => {
    const dynamic: string[] = [];
    for (const file of FILES) {
      const code = stripComments(readFileSync(join(ROOT, file), 'utf8'));
      for (const m of code.matchAll(ANY_DYNAMIC_IMPORT)) {
        const key = `${file}: import(${m[1]!.trim()})`;
        if (!(key in DYNAMIC_IMPORT_ALLOWED)) dynamic.push(key);
      }
    }
    expect(dynamic, 'use a static import, or list it with its reason in DYNAMIC_IMPORT_ALLOWED').toEqual([]);
  });

  it('the checker itself catches an upward import, a test import and a computed specifier', () => {
    const refs = importsOf('src/model/tae/x.ts', "import { a } from '../../pipeline/y.ts';\nexport { b } from '../../../test/support/z.ts';\n// import { c } from '../../server/app.ts';\n");
    expect(refs.map((r) => r.target)).toEqual(['src/pipeline/y.ts', 'test/support/z.ts']);
    expect(layerOf('src/model/tae/x.ts')! < layerOf('src/pipeline/y.ts')!).toBe(true);
    expect([...'const m = await import(path);'.matchAll(ANY_DYNAMIC_IMPORT)].length).toBe(1);
    expect([..."const m = await import('./static.ts');".matchAll(ANY_DYNAMIC_IMPORT)].length).toBe(0);
    expect(relative(ROOT, join(ROOT, 'src'))).toBe('src');
  });
});
