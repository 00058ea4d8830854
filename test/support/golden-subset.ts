/**
 * `npm run test:golden:webgpu` (part of `npm test`): the golden files that cover every model graph
 * the live pipeline runs, on a non-CPU execution provider. Same fixtures, names and tolerances as
 * `npm run test:golden`; the provider is checked first, so a machine without one gets one message
 * saying what to install instead of a wall of failures, and nothing is skipped.
 *
 *   tsx test/support/golden-subset.ts [webgpu|cuda]   (default webgpu)
 *
 * The subset: the DiT (every block), VACE (causal first chunk, hints), the causal stream (KV cache
 * in and out over 5 chunks), UMT5 and TAEHV (streaming caches). Whole files only: each golden file
 * checks that every recorded tensor was compared, which a name filter would defeat. Left out:
 * depth and scribble (annotators), and the files that run no model on the device (scheduler,
 * checkpoint formats, VACE context encoding). On lavapipe with 2 shared cores the subset took
 * 55 s (idle) to 100 s (busy), TAEHV three quarters of it; the whole golden suite about 120 s.
 */
import { spawnSync } from 'node:child_process';
import { goldenDevice } from './golden-device.ts';
import { requireDevice } from './require-device.ts';

const SUBSET = ['wan-dit', 'vace', 'causal-stream', 'umt5', 'tae'].map((name) => `test/golden/${name}.test.ts`);

// One vitest run of the subset per entry, with these variables on top of VACE_DEVICE: the float32
// graphs, then the half-precision ones (`--dtype auto` picks fp16 on a GPU provider).
const RUNS: readonly Readonly<Record<string, string>>[] = [{ VACE_DTYPE: 'fp32' }, { VACE_DTYPE: 'fp16' }];

async function main(argv: string[]): Promise<number> {
  if (argv.length > 1) throw new Error('usage: tsx test/support/golden-subset.ts [webgpu|cuda]');
  const device = goldenDevice(argv[0] ?? 'webgpu');
  if (device === 'cpu') throw new Error('golden-subset is for a non-CPU provider; the CPU runs the whole golden suite (npm run test:golden)');
  await requireDevice(device);
  for (const vars of RUNS) {
    const env = { ...process.env, VACE_DEVICE: device, ...vars };
    console.log(`golden subset on ${Object.entries({ VACE_DEVICE: device, ...vars }).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    const r = spawnSync('npx', ['--no-install', 'vitest', 'run', '--project', 'golden', ...SUBSET], { stdio: 'inherit', env });
    if (r.status !== 0) return r.status ?? 1;
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`golden subset: ${e.message}`);
    process.exit(1);
  },
);
