import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { OpaquePyObject, PthFile } from '../../../../src/model/weights/pth.ts';
import { bytesOf, PickleBytes, writeTorchFile, type SavedValue, type TensorRecord } from '../../../support/torch-save-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'pth-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string): string => join(dir, name);

/** Reference strided read, written as plainly as possible (recursive over dimensions). */
function viewOf(storage: ArrayLike<number>, offset: number, shape: number[], stride: number[]): number[] {
  const out: number[] = [];
  const rec = (d: number, base: number): void => {
    if (d === shape.length) {
      out.push(storage[base]!);
      return;
    }
    for (let i = 0; i < shape[d]!; i++) rec(d + 1, base + i * stride[d]!);
  };
  rec(0, offset);
  return out;
}

const f32Storage = Float32Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);
const t = (offset: number, shape: number[], stride: number[], extra: Partial<TensorRecord> = {}): TensorRecord => ({
  storageType: 'FloatStorage',
  storageKey: '0',
  storageNumel: 24,
  offset,
  shape,
  stride,
  ...extra,
});

const views: Record<string, TensorRecord> = {
  full: t(0, [4, 6], [6, 1]),
  transposed: t(0, [6, 4], [1, 6]),
  row_slice: t(6, [2, 6], [6, 1]),
  every_other_column: t(1, [4, 3], [6, 2]),
  expanded: t(12, [3, 6], [0, 1]),
  scalar: t(5, [], []),
  empty: t(0, [0, 6], [6, 1]),
};

describe('PthFile', () => {
  test('views of one storage: strides, offsets, expansion, 0-d and empty tensors', () => {
    const path = at('views.pth');
    writeTorchFile(path, new Map(Object.entries(views)), { '0': bytesOf(f32Storage) }, { archive: 'views' });
    const f = new PthFile(path);
    expect(f.archiveName).toBe('views');
    expect([...f.tensors().keys()]).toEqual(Object.keys(views));
    for (const [name, v] of Object.entries(views)) {
      const got = f.readF32(name);
      expect(got.shape, name).toEqual(v.shape);
      expect(Array.from(got.data), name).toEqual(viewOf(f32Storage, v.offset, v.shape, v.stride));
    }
    // One storage object shared by every view (storages are loaded once per key).
    expect(f.tensor('full').storage).toBe(f.tensor('transposed').storage);
    expect(f.tensor('scalar').dtype).toBe('F32');
    f.close();
  });

  test('bf16 and f16 storages widen exactly to float32', () => {
    const bf16 = Uint16Array.from([0x3f80, 0xc000, 0x3fc0, 0x7f80, 0x0000, 0x8000]);
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0xfbff]);
    const path = at('half.pth');
    const root = new Map<string, SavedValue>([
      ['b', { storageType: 'BFloat16Storage', storageKey: '0', storageNumel: 6, offset: 0, shape: [2, 3], stride: [3, 1] }],
      ['h', { storageType: 'HalfStorage', storageKey: '1', storageNumel: 6, offset: 0, shape: [3, 2], stride: [1, 3] }],
    ]);
    writeTorchFile(path, root, { '0': bytesOf(bf16), '1': bytesOf(f16) });
    const f = new PthFile(path);
    expect(f.tensor('b').dtype).toBe('BF16');
    expect(Array.from(f.readF32('b').data)).toEqual([1, -2, 1.5, Infinity, 0, -0]);
    // h is a transpose: element (i, j) is storage[i + 3j].
    const halfValues = [1, -2, 0.333251953125, 2 ** -24, Infinity, -65504];
    expect(Array.from(f.readF32('h').data)).toEqual(viewOf(halfValues, 0, [3, 2], [1, 3]));
    f.close();
  });

  test('nested dicts flatten with "." and non-tensor leaves stay in root; parameters are their data', () => {
    const path = at('nested.pt');
    const w = { storageType: 'FloatStorage', storageKey: '0', storageNumel: 24, offset: 0, shape: [24], stride: [1], parameter: true };
    const root = new Map<string, SavedValue>([
      ['generator', new Map<string, SavedValue>([['model.blocks.0.w', w]])],
      ['step', 1234],
    ]);
    writeTorchFile(path, root, { '0': bytesOf(f32Storage) });
    const f = new PthFile(path);
    expect([...f.tensors().keys()]).toEqual(['generator.model.blocks.0.w']);
    expect((f.root as Map<string, unknown>).get('step')).toBe(1234);
    expect(Array.from(f.readF32('generator.model.blocks.0.w').data)).toEqual(Array.from(f32Storage));
    f.close();
  });

  test('integer tensors read as int64; asking for float32 names the file, key and dtype', () => {
    const path = at('ints.pth');
    const root = new Map<string, SavedValue>([['ids', { storageType: 'LongStorage', storageKey: '0', storageNumel: 3, offset: 1, shape: [2], stride: [1] }]]);
    writeTorchFile(path, root, { '0': bytesOf(BigInt64Array.from([7n, -1n, 2n ** 40n])) });
    const f = new PthFile(path);
    const ids = f.read('ids');
    expect(ids.dtype).toBe('int64');
    expect(Array.from(ids.data as BigInt64Array)).toEqual([-1n, 2n ** 40n]);
    expect(() => f.readF32('ids')).toThrow(`${path}: tensor "ids" has dtype I64, expected a floating type`);
    f.close();
  });

  test('byteorder "big" storages are swapped to host order', () => {
    const path = at('big.pth');
    const be = Buffer.alloc(16);
    [1.5, -2, 3.25, 1e-3].forEach((v, i) => be.writeFloatBE(v, i * 4));
    const root = new Map<string, SavedValue>([['x', { storageType: 'FloatStorage', storageKey: '0', storageNumel: 4, offset: 0, shape: [4], stride: [1] }]]);
    writeTorchFile(path, root, { '0': be }, { byteorder: 'big' });
    const f = new PthFile(path);
    expect(Array.from(f.readF32('x').data)).toEqual(Array.from(Float32Array.from([1.5, -2, 3.25, 1e-3])));
    f.close();
  });

  test('ZIP64 records and a deflated data.pkl are read', () => {
    const path = at('zip64.pth');
    writeTorchFile(path, new Map(Object.entries(views)), { '0': bytesOf(f32Storage) }, { zip64: true, deflatePickle: true });
    const f = new PthFile(path);
    expect(Array.from(f.readF32('transposed').data)).toEqual(viewOf(f32Storage, 0, [6, 4], [1, 6]));
    f.close();
  });

  test('torch 2 _rebuild_from_type_v2 around _rebuild_tensor_v2', () => {
    const p = new PickleBytes().proto(2).emptyDict().str('w');
    p.global('torch._tensor', '_rebuild_from_type_v2').mark();
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.global('torch.nn.parameter', 'Parameter');
    p.mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(24).tuple().binpersid();
    p.int(2).mark().int(3).tuple().mark().int(2).tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple();
    p.emptyDict().tuple().reduce().setitem().stop();
    const path = at('fromtype.pth');
    writeTorchFile(path, new Map(), { '0': bytesOf(f32Storage) }, { pickle: p.bytes() });
    const f = new PthFile(path);
    expect(Array.from(f.readF32('w').data)).toEqual(viewOf(f32Storage, 2, [3], [2]));
    f.close();
  });
});

describe('PthFile errors', () => {
  test('an unknown global names the file and the global', () => {
    const p = new PickleBytes().proto(2).emptyDict().str('step').global('numpy.core.multiarray', 'scalar').mark().tuple().reduce().setitem().stop();
    const path = at('numpy.pth');
    writeTorchFile(path, new Map(), {}, { pickle: p.bytes() });
    expect(() => new PthFile(path)).toThrow(`${path}:archive/data.pkl: unsupported Python global "numpy.core.multiarray.scalar"`);
  });

  test('with allowUnknownGlobals, unknown objects stay opaque and the tensors beside them are read', () => {
    const p = new PickleBytes().proto(2).emptyDict().str('step').global('numpy.core.multiarray', 'scalar').mark().int(3).tuple().reduce().setitem();
    p.str('w').global('torch._utils', '_rebuild_tensor_v2').mark();
    p.mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(24).tuple().binpersid();
    p.int(0).mark().int(24).tuple().mark().int(1).tuple().bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().setitem().stop();
    const path = at('numpy-lenient.pth');
    writeTorchFile(path, new Map(), { '0': bytesOf(f32Storage) }, { pickle: p.bytes() });
    expect(() => new PthFile(path)).toThrow(/unsupported Python global "numpy\.core\.multiarray\.scalar"/);
    const f = new PthFile(path, { allowUnknownGlobals: true });
    expect(f.unknownGlobals).toEqual(['numpy.core.multiarray.scalar']);
    const step = (f.root as Map<string, unknown>).get('step');
    expect(step).toBeInstanceOf(OpaquePyObject);
    expect((step as OpaquePyObject).args).toEqual([3]);
    expect([...f.tensors().keys()]).toEqual(['w']);
    expect(Array.from(f.readF32('w').data)).toEqual(Array.from(f32Storage));
    f.close();
  });

  test('an unknown storage type is an unsupported global', () => {
    const path = at('complex.pth');
    const root = new Map<string, SavedValue>([['z', { storageType: 'ComplexFloatStorage', storageKey: '0', storageNumel: 2, offset: 0, shape: [2], stride: [1] }]]);
    writeTorchFile(path, root, { '0': new Uint8Array(16) });
    expect(() => new PthFile(path)).toThrow(/complex\.pth:archive\/data\.pkl: unsupported Python global "torch\.ComplexFloatStorage"/);
  });

  test('a truncated file is refused with the file name', () => {
    const whole = at('whole.pth');
    writeTorchFile(whole, new Map(Object.entries(views)), { '0': bytesOf(f32Storage) });
    const bytes = readFileSync(whole);
    const cut = at('cut.pth');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(() => new PthFile(cut)).toThrow(`invalid zip archive ${cut}: no end-of-central-directory record (not a zip archive, or truncated)`);
  });

  test('a storage shorter than its element count, a missing storage and an out-of-range view', () => {
    const short = at('short.pth');
    writeTorchFile(short, new Map<string, SavedValue>([['x', t(0, [24], [1])]]), { '0': bytesOf(f32Storage.subarray(0, 10)) });
    expect(() => new PthFile(short)).toThrow(`${short}: storage "0" has 40 bytes but 24 F32 elements need 96 (truncated?)`);

    const missing = at('missing.pth');
    writeTorchFile(missing, new Map<string, SavedValue>([['x', t(0, [24], [1])]]), {});
    expect(() => new PthFile(missing)).toThrow(`${missing}: storage "0" is missing from the archive (no entry archive/data/0)`);

    const outside = at('outside.pth');
    writeTorchFile(outside, new Map<string, SavedValue>([['x', t(20, [2, 6], [6, 1])]]), { '0': bytesOf(f32Storage) });
    const f = new PthFile(outside);
    expect(() => f.readF32('x')).toThrow(`${outside}: tensor "x" (offset 20, shape [2, 6], stride [6, 1]) reaches element 31 of a 24-element storage`);
    expect(() => f.readF32('y')).toThrow(`${outside}: no tensor named "y"`);
    f.close();
  });

  test('a zip without data.pkl is not a torch checkpoint', () => {
    const path = at('nopkl.pth');
    writeTorchFile(path, new Map(), {}, { archive: 'a/b' });
    expect(() => new PthFile(path)).toThrow(`${path}: zip archive has no <archive>/data.pkl, so it is not a torch.save checkpoint`);
  });
});
