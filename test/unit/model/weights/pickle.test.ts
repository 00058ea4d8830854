import { describe, expect, test } from 'vitest';
import { basicGlobal, PyCallable, unpickle, UnsupportedGlobalError, type UnpickleOptions } from '../../../../src/model/weights/pickle.ts';
import { PickleBytes } from '../../../support/torch-save-writer.ts';

const plain: UnpickleOptions = {
  source: 'test.pkl',
  resolveGlobal: (m, n) => {
    const v = basicGlobal(m, n);
    if (v === undefined) throw new UnsupportedGlobalError('test.pkl', `${m}.${n}`);
    return v;
  },
};

const load = (b: Uint8Array, opts: UnpickleOptions = plain): unknown => unpickle(b, opts);

describe('pickle VM', () => {
  test('protocol 2 dict of scalars, strings, None and bools', () => {
    const b = new PickleBytes()
      .proto(2)
      .emptyDict()
      .binput(0)
      .mark()
      .str('step').int(1234)
      .str('neg').int(-5)
      .str('big').int(70000)
      .str('lr').float(1.5e-4)
      .str('name').str('wan π')
      .str('none').none()
      .str('yes').bool(true)
      .str('no').bool(false)
      .setitems()
      .stop()
      .bytes();
    const d = load(b) as Map<string, unknown>;
    expect(d).toBeInstanceOf(Map);
    expect(Object.fromEntries(d)).toEqual({ step: 1234, neg: -5, big: 70000, lr: 1.5e-4, name: 'wan π', none: null, yes: true, no: false });
  });

  test('LONG1 gives exact numbers, and bigint past 2^53', () => {
    const b = new PickleBytes().proto(2).mark().int(2 ** 40).int(-(2 ** 40) - 3).int(2n ** 70n).int(-1n * 2n ** 63n).tuple().stop().bytes();
    expect(load(b)).toEqual([2 ** 40, -(2 ** 40) - 3, 2n ** 70n, -(2n ** 63n)]);
  });

  test('tuples, lists, APPEND(S), SETITEM and the memo (BINPUT/BINGET, LONG_BINPUT/LONG_BINGET)', () => {
    const ok = new PickleBytes()
      .proto(2)
      .mark()
      .emptyList().binput(1)
      .int(1).append()
      .mark().int(2).int(3).appends()
      .emptyDict().longBinput(300)
      .str('k').int(7).tupleN(1).setitem()
      .binget(1)
      .longBinget(300)
      .emptyTuple()
      .int(4).int(5).tupleN(2)
      .int(6).int(7).int(8).tupleN(3)
      .tuple()
      .stop()
      .bytes();
    const [list, dict, listAgain, dictAgain, empty, two, three] = load(ok) as unknown[];
    expect(list).toEqual([1, 2, 3]);
    expect(listAgain).toBe(list); // memo returns the same object
    expect(dict).toEqual(new Map([['k', [7]]]));
    expect(dictAgain).toBe(dict);
    expect(empty).toEqual([]);
    expect(two).toEqual([4, 5]);
    expect(three).toEqual([6, 7, 8]);
  });

  test('protocol 4: FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, REDUCE of OrderedDict and SHORT_BINBYTES', () => {
    const body = new PickleBytes()
      .shortStr('collections').memoize()
      .shortStr('OrderedDict').memoize()
      .stackGlobal().memoize()
      .emptyTuple().reduce().memoize()
      .mark()
      .shortStr('a').shortBytes(new Uint8Array([1, 2, 255]))
      .shortStr('b').binget(0) // memo 0 = "collections" (MEMOIZE numbers from 0)
      .setitems()
      .stop()
      .bytes();
    const b = Buffer.concat([new PickleBytes().proto(4).frame(body.length).bytes(), body]);
    const d = load(b) as Map<string, unknown>;
    expect([...d.keys()]).toEqual(['a', 'b']);
    expect(d.get('a')).toEqual(new Uint8Array([1, 2, 255]));
    expect(d.get('b')).toBe('collections');
  });

  test('protocol 2 bytes via _codecs.encode', () => {
    const b = new PickleBytes().proto(2).global('_codecs', 'encode').mark().str('\u00ff\u0001').str('latin1').tuple().reduce().stop().bytes();
    expect(load(b)).toEqual(new Uint8Array([0xff, 0x01]));
  });

  test('NEWOBJ and BUILD go through the class table', () => {
    class Point {
      x = 0;
      setState(state: unknown): void {
        this.x = (state as Map<string, number>).get('x')!;
      }
    }
    const opts: UnpickleOptions = {
      source: 'point.pkl',
      resolveGlobal: (m, n) => {
        if (`${m}.${n}` === 'geo.Point') return new PyCallable('geo.Point', () => new Point());
        throw new UnsupportedGlobalError('point.pkl', `${m}.${n}`);
      },
    };
    const b = new PickleBytes().proto(2).global('geo', 'Point').emptyTuple().newobj().emptyDict().str('x').int(9).setitem().build().stop().bytes();
    const p = load(b, opts) as Point;
    expect(p).toBeInstanceOf(Point);
    expect(p.x).toBe(9);
  });

  test('BINPERSID hands the persistent id to persistentLoad', () => {
    const seen: unknown[] = [];
    const b = new PickleBytes().proto(2).mark().str('storage').str('0').int(12).tuple().binpersid().stop().bytes();
    const v = load(b, { ...plain, persistentLoad: (pid) => (seen.push(pid), 'loaded') });
    expect(v).toBe('loaded');
    expect(seen).toEqual([['storage', '0', 12]]);
  });

  test('an unknown global is an error naming the source and the global', () => {
    const b = new PickleBytes().proto(2).global('os', 'system').mark().str('echo hi').tuple().reduce().stop().bytes();
    expect(() => load(b)).toThrow(UnsupportedGlobalError);
    expect(() => load(b)).toThrow('test.pkl: unsupported Python global "os.system"');
  });

  test('truncated data: inside an opcode argument, and without STOP', () => {
    const full = new PickleBytes().proto(2).str('hello world').stop().bytes();
    expect(() => load(full.subarray(0, 8))).toThrow(/test\.pkl: pickle opcode BINUNICODE at byte 2: data ends after 8 bytes.*truncated/);
    expect(() => load(full.subarray(0, full.length - 1))).toThrow(/test\.pkl: pickle data ends at byte \d+ without a STOP opcode/);
  });

  test('unknown opcodes, stack underflow, unstored memo keys and newer protocols are refused', () => {
    expect(() => load(new PickleBytes().proto(2).raw(0xff).stop().bytes())).toThrow(/unknown opcode/);
    expect(() => load(new PickleBytes().proto(2).setitem().stop().bytes())).toThrow(/SETITEM at byte 2: stack underflow/);
    expect(() => load(new PickleBytes().proto(2).binget(3).stop().bytes())).toThrow(/memo key 3 was never stored/);
    expect(() => load(new PickleBytes().proto(6).none().stop().bytes())).toThrow(/protocol 6/);
    expect(() => load(new PickleBytes().proto(2).int(1).emptyDict().str('k').setitem().stop().bytes())).toThrow(/SETITEM at byte \d+: target is not a dict/);
    expect(() => load(new PickleBytes().proto(2).int(1).tuple().stop().bytes())).toThrow(/TUPLE at byte 4: no MARK on the stack/);
  });
});
