import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { detectCheckpointFormat, openCheckpoint } from '../../../../src/model/weights/checkpoint.ts';
import { bytesOf, PickleBytes, writeSafetensors, writeTorchFile, type SavedValue } from '../../../support/torch-save-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);

const values = Float32Array.from([0.25, -1, 3, 8, -0.5, 6]);
const bf16 = Uint16Array.from([0x3e80, 0xbf80, 0x4040, 0x4100, 0xbf00, 0x40c0]); // the same values in bf16

describe('openCheckpoint', () => {
  test('a torch.save zip and a safetensors file give the same flat view', () => {
    const pth = at('w.pth');
    writeTorchFile(pth, new Map<string, SavedValue>([['a.weight', { storageType: 'BFloat16Storage', storageKey: '0', storageNumel: 6, offset: 0, shape: [2, 3], stride: [3, 1] }]]), { '0': bytesOf(bf16) });
    const st = at('w.safetensors');
    writeSafetensors(st, { 'a.weight': { dtype: 'BF16', shape: [2, 3], data: bytesOf(bf16) } });
    for (const [path, format] of [[pth, 'pth'], [st, 'safetensors']] as const) {
      const c = openCheckpoint(path);
      expect(c.format).toBe(format);
      expect(c.path).toBe(path);
      expect(c.keys()).toEqual(['a.weight']);
      expect(c.has('a.weight')).toBe(true);
      expect(c.has('b')).toBe(false);
      expect(c.shape('a.weight')).toEqual([2, 3]);
      expect(c.dtype('a.weight')).toBe('BF16');
      expect(Array.from(c.getF32('a.weight').data)).toEqual(Array.from(values));
      c.close();
    }
  });

  test('the format comes from the bytes, not the extension', () => {
    const disguised = at('really-safetensors.pth');
    writeSafetensors(disguised, { x: { dtype: 'F32', shape: [6], data: bytesOf(values) } });
    expect(detectCheckpointFormat(disguised)).toBe('safetensors');
    const c = openCheckpoint(disguised);
    expect(Array.from(c.getF32('x').data)).toEqual(Array.from(values));
    c.close();
  });

  test('legacy torch files, unknown bytes and missing files get clear errors', () => {
    const legacy = at('legacy.pt');
    writeFileSync(legacy, new PickleBytes().proto(2).int(0x1950a86a20f9469cfc6cn).stop().bytes());
    expect(() => openCheckpoint(legacy)).toThrow(`${legacy}: this is a legacy (pre-1.6, non-zip) torch.save file, which is not supported`);
    const junk = at('junk.bin');
    writeFileSync(junk, 'hello, not a checkpoint');
    expect(() => openCheckpoint(junk)).toThrow(`${junk}: not a checkpoint we can read`);
    expect(() => openCheckpoint(at('nope.pth'))).toThrow(`cannot open checkpoint ${at('nope.pth')}`);
  });
});
