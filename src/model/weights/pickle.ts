/**
 * A restricted Python unpickler (protocols 0–5) for checkpoint data.
 *
 * Python values become: None → null, bool → boolean, int → number (bigint past 2^53),
 * float → number, str → string, bytes/bytearray → Uint8Array, tuple and list → array,
 * dict → Map, set/frozenset → Set. Globals (classes and functions) are never imported: every
 * GLOBAL goes through `resolveGlobal`, which returns a `PyCallable` (or any value) from a fixed
 * table, or throws naming the global. Nothing in the pickle can run code of its choosing.
 */

/** A class or function from the allowed table: REDUCE / NEWOBJ call it with the argument tuple. */
export class PyCallable {
  readonly qualname: string;
  readonly #fn: (args: unknown[]) => unknown;

  constructor(qualname: string, fn: (args: unknown[]) => unknown) {
    this.qualname = qualname;
    this.#fn = fn;
  }

  call(args: unknown[]): unknown {
    return this.#fn(args);
  }
}

/** An object that accepts the pickle BUILD opcode (Python's `__setstate__`). */
export interface PyBuildable {
  setState(state: unknown): void;
}

function isBuildable(v: unknown): v is PyBuildable {
  return typeof v === 'object' && v !== null && typeof (v as Partial<PyBuildable>).setState === 'function';
}

export interface UnpickleOptions {
  /** Names the pickle in error messages, e.g. "model.pth:archive/data.pkl". */
  readonly source: string;
  /** Maps `module.name` to a value; must throw for anything not allowed. */
  readonly resolveGlobal: (module: string, name: string) => unknown;
  /** Handles PERSID / BINPERSID (torch uses it for tensor storages). */
  readonly persistentLoad?: (pid: unknown) => unknown;
}

/** Thrown for a global that is not in the allowed table. */
export class UnsupportedGlobalError extends Error {
  readonly global: string;
  constructor(source: string, global: string, allowed?: string) {
    super(`${source}: unsupported Python global "${global}" (the checkpoint reader only allows ${allowed ?? 'a fixed table of state-dict classes'})`);
    this.global = global;
  }
}

/** Globals every pickle of plain data may use. */
export function basicGlobal(module: string, name: string): unknown {
  const q = `${module}.${name}`;
  switch (q) {
    case 'collections.OrderedDict':
    case 'builtins.dict':
      return new PyCallable(q, (args) => new Map(args.length > 0 ? iterPairs(args[0], q) : []));
    case 'builtins.list':
    case 'builtins.tuple':
      return new PyCallable(q, (args) => (args.length > 0 ? [...(args[0] as Iterable<unknown>)] : []));
    case 'builtins.set':
    case 'builtins.frozenset':
      return new PyCallable(q, (args) => new Set(args.length > 0 ? (args[0] as Iterable<unknown>) : []));
    // Protocol 2 stores Python-3 bytes as _codecs.encode(latin1 text, 'latin1').
    case '_codecs.encode':
      return new PyCallable(q, ([text, encoding]) => {
        if (typeof text !== 'string') throw new Error(`${q}: expected a str argument`);
        const enc = typeof encoding === 'string' ? encoding.toLowerCase() : 'utf-8';
        return new Uint8Array(Buffer.from(text, enc === 'latin1' || enc === 'latin-1' ? 'latin1' : 'utf8'));
      });
    default:
      return undefined;
  }
}

function iterPairs(v: unknown, what: string): [unknown, unknown][] {
  if (v instanceof Map) return [...v.entries()];
  if (Array.isArray(v)) return v.map((p) => p as [unknown, unknown]);
  throw new Error(`${what}: expected a mapping or a list of pairs`);
}

const OPNAMES: Record<number, string> = {
  0x28: 'MARK', 0x2e: 'STOP', 0x30: 'POP', 0x31: 'POP_MARK', 0x32: 'DUP', 0x46: 'FLOAT', 0x49: 'INT', 0x4a: 'BININT',
  0x4b: 'BININT1', 0x4c: 'LONG', 0x4d: 'BININT2', 0x4e: 'NONE', 0x50: 'PERSID', 0x51: 'BINPERSID', 0x52: 'REDUCE',
  0x53: 'STRING', 0x54: 'BINSTRING', 0x55: 'SHORT_BINSTRING', 0x56: 'UNICODE', 0x58: 'BINUNICODE', 0x61: 'APPEND',
  0x62: 'BUILD', 0x63: 'GLOBAL', 0x64: 'DICT', 0x7d: 'EMPTY_DICT', 0x65: 'APPENDS', 0x67: 'GET', 0x68: 'BINGET',
  0x69: 'INST', 0x6a: 'LONG_BINGET', 0x6c: 'LIST', 0x5d: 'EMPTY_LIST', 0x6f: 'OBJ', 0x70: 'PUT', 0x71: 'BINPUT',
  0x72: 'LONG_BINPUT', 0x73: 'SETITEM', 0x74: 'TUPLE', 0x29: 'EMPTY_TUPLE', 0x75: 'SETITEMS', 0x47: 'BINFLOAT',
  0x80: 'PROTO', 0x81: 'NEWOBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x85: 'TUPLE1', 0x86: 'TUPLE2',
  0x87: 'TUPLE3', 0x88: 'NEWTRUE', 0x89: 'NEWFALSE', 0x8a: 'LONG1', 0x8b: 'LONG4', 0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES', 0x8c: 'SHORT_BINUNICODE', 0x8d: 'BINUNICODE8', 0x8e: 'BINBYTES8', 0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS', 0x91: 'FROZENSET', 0x92: 'NEWOBJ_EX', 0x93: 'STACK_GLOBAL', 0x94: 'MEMOIZE', 0x95: 'FRAME',
  0x96: 'BYTEARRAY8', 0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
};

/** Little-endian two's-complement integer → number when exact, else bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return narrow(v);
}

function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function decodeRawUnicodeEscape(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) =>
    String.fromCodePoint(parseInt((a ?? b)!, 16)),
  );
}

/** Runs the pickle VM over `data` and returns the unpickled value. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): unknown {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const src = opts.source;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();
  let pos = 0;
  let opAt = 0;
  let op = 0;

  const fail = (msg: string): never => {
    throw new Error(`${src}: pickle opcode ${OPNAMES[op] ?? `0x${op.toString(16)}`} at byte ${opAt}: ${msg}`);
  };
  const need = (n: number): number => {
    if (pos + n > buf.length) fail(`data ends after ${buf.length} bytes, ${n} more needed (truncated?)`);
    const at = pos;
    pos += n;
    return at;
  };
  const bytes = (n: number): Buffer => {
    const at = need(n);
    return buf.subarray(at, at + n);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('no newline before the end of the data (truncated?)');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail('stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) fail('no MARK on the stack');
    stack = prev!;
    return items;
  };
  const size = (n: number | bigint): number => {
    if (typeof n === 'bigint' || n < 0 || n > Number.MAX_SAFE_INTEGER) fail(`invalid length ${n}`);
    return n as number;
  };
  const u64 = (): number => size(narrow(bytes(8).readBigUInt64LE(0)));
  const global = (module: string, name: string): unknown => opts.resolveGlobal(module, name);
  const call = (fn: unknown, args: unknown, what: string): unknown => {
    if (!(fn instanceof PyCallable)) fail(`${what} target is not a callable from the allowed table`);
    if (!Array.isArray(args)) fail(`${what} arguments are not a tuple`);
    return (fn as PyCallable).call(args as unknown[]);
  };
  const setItems = (dict: unknown, items: unknown[]): void => {
    if (!(dict instanceof Map)) fail('target is not a dict');
    if (items.length % 2 !== 0) fail('odd number of items');
    for (let i = 0; i < items.length; i += 2) (dict as Map<unknown, unknown>).set(items[i], items[i + 1]);
  };
  const appendItems = (list: unknown, items: unknown[]): void => {
    // A loop, not push(...items): spreading a huge APPENDS batch can overflow the call stack.
    if (Array.isArray(list)) for (const v of items) list.push(v);
    else if (list instanceof Set) for (const v of items) list.add(v);
    else fail('target is not a list');
  };
  const memoGet = (i: number): unknown => {
    if (!memo.has(i)) fail(`memo key ${i} was never stored`);
    return memo.get(i);
  };

  for (;;) {
    opAt = pos;
    if (pos >= buf.length) {
      op = -1;
      throw new Error(`${src}: pickle data ends at byte ${buf.length} without a STOP opcode (truncated?)`);
    }
    op = buf[pos++]!;
    switch (op) {
      case 0x80: {
        const proto = buf[need(1)]!;
        if (proto > 5) fail(`pickle protocol ${proto} is newer than 5`);
        break;
      }
      case 0x95: // FRAME: a length prefix only; the data is already contiguous.
        need(8);
        break;
      case 0x2e: // STOP
        if (marks.length > 0) fail('MARK left open');
        return pop();
      case 0x28:
        marks.push(stack);
        stack = [];
        break;
      case 0x30:
        pop();
        break;
      case 0x31:
        popMark();
        break;
      case 0x32:
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a:
        stack.push(bytes(4).readInt32LE(0));
        break;
      case 0x4b:
        stack.push(buf[need(1)]!);
        break;
      case 0x4d:
        stack.push(bytes(2).readUInt16LE(0));
        break;
      case 0x8a:
        stack.push(decodeLong(bytes(buf[need(1)]!)));
        break;
      case 0x8b: {
        const n = bytes(4).readInt32LE(0);
        stack.push(decodeLong(bytes(size(n))));
        break;
      }
      case 0x49: {
        const s = line();
        if (s === '00') stack.push(false);
        else if (s === '01') stack.push(true);
        else if (!/^[+-]?\d+$/.test(s)) fail(`invalid INT literal "${s}"`);
        else stack.push(narrow(BigInt(s)));
        break;
      }
      case 0x4c: {
        const s = line().replace(/L$/, '');
        if (!/^[+-]?\d+$/.test(s)) fail(`invalid LONG literal "${s}"`);
        stack.push(narrow(BigInt(s)));
        break;
      }
      case 0x47:
        stack.push(bytes(8).readDoubleBE(0));
        break;
      case 0x46: {
        const s = line();
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) fail(`invalid FLOAT literal "${s}"`);
        stack.push(v);
        break;
      }
      case 0x58:
        stack.push(bytes(size(bytes(4).readUInt32LE(0))).toString('utf8'));
        break;
      case 0x8c:
        stack.push(bytes(buf[need(1)]!).toString('utf8'));
        break;
      case 0x8d:
        stack.push(bytes(u64()).toString('utf8'));
        break;
      case 0x56:
        stack.push(decodeRawUnicodeEscape(line()));
        break;
      // Python-2 str: bytes that torch.load decodes as text; latin1 keeps every byte.
      case 0x54:
        stack.push(bytes(size(bytes(4).readInt32LE(0))).toString('latin1'));
        break;
      case 0x55:
        stack.push(bytes(buf[need(1)]!).toString('latin1'));
        break;
      case 0x53: {
        const s = line();
        const m = /^(['"])(.*)\1$/.exec(s);
        if (!m) fail(`invalid STRING literal ${s}`);
        stack.push(m![2]!);
        break;
      }
      case 0x42:
        stack.push(new Uint8Array(bytes(size(bytes(4).readUInt32LE(0)))));
        break;
      case 0x43:
        stack.push(new Uint8Array(bytes(buf[need(1)]!)));
        break;
      case 0x8e:
      case 0x96:
        stack.push(new Uint8Array(bytes(u64())));
        break;
      case 0x7d:
        stack.push(new Map());
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x29:
        stack.push([]);
        break;
      case 0x8f:
        stack.push(new Set());
        break;
      // Pop the mark before pushing: `stack` is rebound by popMark().
      case 0x74:
      case 0x6c: {
        const items = popMark();
        stack.push(items);
        break;
      }
      case 0x85:
        stack.push([pop()]);
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push([a, b]);
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push([a, b, c]);
        break;
      }
      case 0x64: {
        const items = popMark();
        const d = new Map();
        setItems(d, items);
        stack.push(d);
        break;
      }
      case 0x91: {
        const items = popMark();
        stack.push(new Set(items));
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x61: {
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65:
      case 0x90: {
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x71:
        memo.set(buf[need(1)]!, top());
        break;
      case 0x72:
        memo.set(bytes(4).readUInt32LE(0), top());
        break;
      case 0x70:
        memo.set(Number(line()), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x68:
        stack.push(memoGet(buf[need(1)]!));
        break;
      case 0x6a:
        stack.push(memoGet(bytes(4).readUInt32LE(0)));
        break;
      case 0x67:
        stack.push(memoGet(Number(line())));
        break;
      case 0x63: {
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('module and name must be strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(call(fn, args, 'REDUCE'));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args, 'NEWOBJ'));
        break;
      }
      case 0x92: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (kwargs instanceof Map && kwargs.size > 0) fail('keyword arguments are not supported');
        stack.push(call(cls, args, 'NEWOBJ_EX'));
        break;
      }
      case 0x69: {
        const module = line();
        const name = line();
        const args = popMark();
        stack.push(call(global(module, name), args, 'INST'));
        break;
      }
      case 0x6f: {
        const items = popMark();
        if (items.length === 0) fail('OBJ needs a class');
        stack.push(call(items[0], items.slice(1), 'OBJ'));
        break;
      }
      case 0x62: {
        const state = pop();
        const obj = top();
        if (isBuildable(obj)) obj.setState(state);
        else if (state === null || (state instanceof Map && state.size === 0)) {
          // nothing to set
        } else if (obj instanceof Map && state instanceof Map) {
          for (const [k, v] of state) obj.set(k, v);
        } else fail('object does not accept BUILD state');
        break;
      }
      case 0x51: {
        const pid = pop();
        if (!opts.persistentLoad) fail('persistent ids are not supported here');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x50: {
        const pid = line();
        if (!opts.persistentLoad) fail('persistent ids are not supported here');
        stack.push(opts.persistentLoad!(pid));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        fail('extension registry codes (EXT1/2/4) are not supported');
        break;
      case 0x97:
      case 0x98:
        fail('out-of-band buffers (protocol 5 NEXT_BUFFER) are not supported');
        break;
      default:
        fail('unknown opcode');
    }
  }
}
