import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openCheckpoint } from '../../../../src/model/weights/checkpoint.ts';
import {
  applyKeyRules,
  autoKeyRules,
  checkCheckpoint,
  CheckpointMismatchError,
  loadParams,
  LONGLIVE_GENERATOR_RULES,
  mapCheckpoint,
  validateCheckpoint,
} from '../../../../src/model/weights/keymap.ts';
import { bytesOf, writeTorchFile, type SavedValue, type TensorRecord } from '../../../support/torch-save-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'keymap-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const storage = Float32Array.from({ length: 12 }, (_, i) => i - 4);
const f32 = (shape: number[], stride: number[]): TensorRecord => ({ storageType: 'FloatStorage', storageKey: '0', storageNumel: 12, offset: 0, shape, stride });

/** A LongLive-style file: {"generator": {"model.<key>": …}, "generator_ema": {…}, "step": 7}. */
function longLiveFile(): string {
  const path = join(dir, 'longlive.pt');
  const gen = new Map<string, SavedValue>([
    ['model.head.weight', f32([3, 4], [4, 1])],
    ['model.head.bias', f32([4], [1])],
    ['model.ids', { storageType: 'LongStorage', storageKey: '1', storageNumel: 2, offset: 0, shape: [2], stride: [1] }],
  ]);
  const ema = new Map<string, SavedValue>([['model.head.weight', f32([4, 3], [1, 4])]]);
  writeTorchFile(path, new Map<string, SavedValue>([['generator', gen], ['generator_ema', ema], ['step', 7]]), {
    '0': bytesOf(storage),
    '1': bytesOf(BigInt64Array.from([1n, 2n])),
  });
  return path;
}

describe('key rules', () => {
  test('select drops keys outside the prefix, strip only removes it where present, rename rewrites', () => {
    expect(applyKeyRules('generator.model.x', LONGLIVE_GENERATOR_RULES)).toBe('x');
    expect(applyKeyRules('generator.y', LONGLIVE_GENERATOR_RULES)).toBe('y');
    expect(applyKeyRules('generator_ema.model.x', LONGLIVE_GENERATOR_RULES)).toBeUndefined();
    expect(applyKeyRules('blocks.0.attn.q', [{ rename: /\.attn\./, to: '.self_attn.' }])).toBe('blocks.0.self_attn.q');
  });

  test('automatic rules: a generator sub-dict, then prefixes every key shares', () => {
    expect(autoKeyRules(['generator.model.a', 'generator.model.b', 'generator_ema.model.a', 'step'])).toEqual([{ select: 'generator.' }, { strip: 'model.' }]);
    expect(autoKeyRules(['module._orig_mod.a', 'module._orig_mod.b'])).toEqual([{ strip: 'module.' }, { strip: '_orig_mod.' }]);
    expect(autoKeyRules(['model.a', 'head.b'])).toEqual([]);
  });

  test('a LongLive checkpoint maps to the plain keys, reading the right tensors', () => {
    const c = mapCheckpoint(openCheckpoint(longLiveFile()));
    expect(c.rules).toEqual(LONGLIVE_GENERATOR_RULES);
    expect(c.keys()).toEqual(['head.weight', 'head.bias', 'ids']);
    expect(c.sourceKey('head.weight')).toBe('generator.model.head.weight');
    expect(c.shape('head.weight')).toEqual([3, 4]); // the generator's, not generator_ema's [4, 3]
    expect(Array.from(c.getF32('head.weight').data)).toEqual(Array.from(storage));
    c.close();
  });

  test('two source keys mapping to one name is an error naming both', () => {
    const path = join(dir, 'clash.pth');
    writeTorchFile(path, new Map<string, SavedValue>([['model.w', f32([4], [1])], ['w', f32([4], [1])]]), { '0': bytesOf(storage) });
    const raw = openCheckpoint(path);
    expect(() => mapCheckpoint(raw, [{ strip: 'model.' }])).toThrow(`${path}: keys "model.w" and "w" both map to "w"`);
    raw.close();
  });
});

describe('validation against a model spec', () => {
  const spec = { 'head.weight': [3, 4], 'head.bias': [4] };

  test('a matching checkpoint loads every parameter as float32', () => {
    const c = mapCheckpoint(openCheckpoint(longLiveFile()));
    expect(checkCheckpoint(c, spec)).toEqual([]);
    const params = loadParams(c, new Map(Object.entries(spec)));
    expect([...params.keys()]).toEqual(['head.weight', 'head.bias']);
    expect(Array.from(params.get('head.bias')!.data)).toEqual([-4, -3, -2, -1]);
    c.close();
  });

  test('missing key, wrong shape and unsupported dtype each name the file and key', () => {
    const path = longLiveFile();
    const c = mapCheckpoint(openCheckpoint(path));
    const bad = { 'head.weight': [4, 3], 'head.bias': [4], ids: [2], 'blocks.0.q.weight': [4, 4] };
    const problems = checkCheckpoint(c, bad);
    expect(problems.map((p) => [p.kind, p.key])).toEqual([
      ['shape', 'head.weight'],
      ['dtype', 'ids'],
      ['missing', 'blocks.0.q.weight'],
    ]);
    expect(problems[0]!.message).toBe(`${path}: key "head.weight" (stored as "generator.model.head.weight") has shape [3, 4] but the model expects [4, 3]`);
    expect(problems[1]!.message).toBe(`${path}: key "ids" (stored as "generator.model.ids") has unsupported dtype I64; expected one of F32, F16, BF16, F64`);
    expect(problems[2]!.message).toBe(`${path}: missing key "blocks.0.q.weight" after key map (select "generator.", strip "model."); the model expects shape [4, 4]`);
    expect(() => validateCheckpoint(c, bad)).toThrow(CheckpointMismatchError);
    expect(() => loadParams(c, bad)).toThrow(`${path}: checkpoint does not match the model (3 problems):`);
    c.close();
  });

  test('unexpected keys are reported only when asked for', () => {
    const path = longLiveFile();
    const c = mapCheckpoint(openCheckpoint(path));
    expect(checkCheckpoint(c, spec)).toEqual([]);
    const problems = checkCheckpoint(c, spec, { allowUnexpected: false });
    expect(problems.map((p) => p.message)).toEqual([`${path}: key "ids" (stored as "generator.model.ids") is not a parameter of the model`]);
    c.close();
  });
});
