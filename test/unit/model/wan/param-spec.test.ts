import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseWanConfig, WAN_1_3B } from '../../../../src/model/wan/config.ts';
import { wanParams } from '../../../../src/model/wan/param-spec.ts';
import { SafetensorsFile } from '../../../../src/model/weights/safetensors.ts';
import { FIXTURE_ROOT } from '../../../support/fixtures.ts';
import { readFileSync } from 'node:fs';

describe('Wan parameter spec', () => {
  it('lists exactly the keys and shapes of the vace fixture checkpoint', () => {
    const dir = join(FIXTURE_ROOT, 'vace');
    const cfg = parseWanConfig(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).config);
    const file = new SafetensorsFile(join(dir, 'weights.safetensors'));
    const spec = wanParams(cfg);
    expect([...spec.keys()].sort()).toEqual(file.keys().sort());
    for (const [k, shape] of spec) expect([...file.entry(k).shape], k).toEqual([...shape]);
  });

  it('counts the real 1.3B sizes the spec quotes (≈1.419 G base, ≈0.735 G VACE)', () => {
    const count = (vace: boolean) => [...wanParams(WAN_1_3B, { vace }).values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    const base = count(false);
    expect(base / 1e9).toBeCloseTo(1.419, 2);
    expect((count(true) - base) / 1e9).toBeCloseTo(0.735, 2);
  });
});
