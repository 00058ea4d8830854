/** ModelBundle.devices: where each model of a loaded preset really runs, after any CPU fallback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cudaProviderInstalled } from '../../../src/model/runtime/device.ts';
import { loadDemoBundle } from '../../../src/presets/bundle.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo bundle devices', () => {
  it('are cpu on the CPU', async () => {
    const bundle = await loadDemoBundle({ modelsDir: dir, device: 'cpu' });
    try {
      expect(bundle.devices).toEqual({ dit: 'cpu', tae: 'cpu', textEncoder: 'cpu' });
    } finally {
      await bundle.release();
    }
  });

  // Without onnxruntime's CUDA binaries (skipped by .npmrc) every session's CUDA start fails and is
  // retried on CPU: the bundle still says device cuda (what was asked), devices says cpu for each.
  it('report cpu for every model whose CUDA session fell back', async () => {
    const lines: string[] = [];
    const bundle = await loadDemoBundle({ modelsDir: dir, device: 'cuda', log: (m) => lines.push(m) });
    try {
      expect(bundle.device).toBe('cuda');
      const fellBack = lines.some((l) => /^cuda provider failed .*; using CPU$/.test(l));
      if (!cudaProviderInstalled()) {
        expect(bundle.devices).toEqual({ dit: 'cpu', tae: 'cpu', textEncoder: 'cpu' });
        expect(fellBack).toBe(true);
      } else {
        // A CUDA machine: a model is cuda unless its fallback was logged.
        for (const d of [bundle.devices.dit, bundle.devices.tae]) expect(d === 'cpu' ? fellBack : d === 'cuda').toBe(true);
      }
    } finally {
      await bundle.release();
    }
  });
});
