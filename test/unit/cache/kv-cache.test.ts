import { describe, expect, it } from 'vitest';
import { KVCache, type KVCacheConfig } from '../../../cache/kv-cache.ts';

/**
 * Every token row written to the cache is labelled so its origin can be read back: the row of
 * absolute token `abs`, written by model call `call` into layer `layer`, holds
 * [abs, call, layer, 0] in K and [abs, call, layer, 1] in V.
 */
const DIM = 4;
const STEPS = 4; // model calls 0..3 are the denoising steps, call 4 is the clean pass
const CALLS_PER_CHUNK = STEPS + 1;

interface Setup {
  sinkFrames: number;
  windowFrames: number;
  chunkFrames: number;
  tokensPerFrame: number;
  numLayers: number;
}

function configOf(s: Setup): KVCacheConfig {
  return { numLayers: s.numLayers, dim: DIM, tokensPerFrame: s.tokensPerFrame, sinkFrames: s.sinkFrames, windowFrames: s.windowFrames };
}

function freshRows(call: number, layer: number, absStart: number, n: number, kind: 0 | 1): Float32Array {
  const out = new Float32Array(n * DIM);
  for (let j = 0; j < n; j++) out.set([absStart + j, call, layer, kind], j * DIM);
  return out;
}

function rowsOf(buf: Float32Array): string[] {
  const rows: string[] = [];
  for (let o = 0; o < buf.length; o += DIM) rows.push(Array.from(buf.subarray(o, o + DIM)).join(','));
  return rows;
}

/** Attended (K row | V row) pairs, sorted: attention does not depend on key order. */
function pairs(k: Float32Array, v: Float32Array): string[] {
  const kr = rowsOf(k);
  const vr = rowsOf(v);
  return kr.map((r, i) => `${r} | ${vr[i]}`).sort();
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A deliberately naive model of LongLive's CausalWanSelfAttention cache bookkeeping, written
 * straight from spec §7.2: clone the whole cache, roll the clone if the new chunk does not fit,
 * write the fresh keys (clipped to the slots at or above the sink while re-running a chunk),
 * attend to clone[0:sink] ++ clone[max(sink, L' − (A − sink)) : L'], then replace the cache
 * with the clone and advance the indices unless recomputing. A = the cache size, as scope sets it.
 */
class ReferenceCache {
  k: Float32Array[];
  v: Float32Array[];
  globalEnd = 0;
  localEnd = 0;
  readonly size: number;
  readonly sink: number;

  constructor(cfg: KVCacheConfig) {
    this.size = cfg.windowFrames * cfg.tokensPerFrame;
    this.sink = cfg.sinkFrames * cfg.tokensPerFrame;
    this.k = Array.from({ length: cfg.numLayers }, () => new Float32Array(this.size * DIM));
    this.v = Array.from({ length: cfg.numLayers }, () => new Float32Array(this.size * DIM));
  }

  call(currentStart: number, n: number, newK: Float32Array[], newV: Float32Array[]): { k: Float32Array[]; v: Float32Array[] } {
    const { size: S, sink } = this;
    const G = this.globalEnd;
    const L = this.localEnd;
    const currentEnd = currentStart + n;
    const recompute = currentEnd <= G && currentStart > 0;
    const slot = (buf: Float32Array, s: number) => buf.slice(s * DIM, (s + 1) * DIM);
    const tk = this.k.map((b) => b.slice());
    const tv = this.v.map((b) => b.slice());
    let localEnd: number;
    if (currentEnd > G && n + L > S) {
      const evict = n + L - S;
      const keep = L - evict - sink;
      for (let l = 0; l < tk.length; l++) {
        for (let i = 0; i < keep; i++) {
          tk[l]!.set(slot(this.k[l]!, sink + evict + i), (sink + i) * DIM);
          tv[l]!.set(slot(this.v[l]!, sink + evict + i), (sink + i) * DIM);
        }
      }
      localEnd = L + currentEnd - G - evict;
    } else {
      localEnd = L + currentEnd - G;
    }
    for (let j = 0; j < n; j++) {
      const s = localEnd - n + j;
      if (recompute && s < sink) continue;
      for (let l = 0; l < tk.length; l++) {
        tk[l]!.set(slot(newK[l]!, j), s * DIM);
        tv[l]!.set(slot(newV[l]!, j), s * DIM);
      }
    }
    const windowStart = Math.max(sink, localEnd - (S - sink));
    const attend = (t: Float32Array[]) => t.map((b) => concat([b.slice(0, sink * DIM), b.slice(windowStart * DIM, Math.max(windowStart, localEnd) * DIM)]));
    const attended = { k: attend(tk), v: attend(tv) };
    this.k = tk;
    this.v = tv;
    if (!recompute) {
      this.globalEnd = currentEnd;
      this.localEnd = localEnd;
    }
    return attended;
  }
}

interface CallRecord {
  chunk: number;
  call: number; // global call id
  stepInChunk: number; // 0..3 steps, 4 clean pass
  recompute: boolean;
  attended: { k: Float32Array[]; v: Float32Array[] };
  prefixViews: { k: Float32Array[]; v: Float32Array[] };
  globalEnd: number;
  localEnd: number;
}

/**
 * Runs `chunks` chunks of 4 steps + a clean pass through the cache exactly like CausalStream
 * does (plan → attendedPrefix + fresh tokens from freshFrom → commit), calling `after` after
 * every commit.
 */
function drive(kv: KVCache, s: Setup, chunks: number, after: (r: CallRecord) => void = () => {}): void {
  const fs = s.tokensPerFrame;
  const n = s.chunkFrames * fs;
  let call = 0;
  for (let c = 0; c < chunks; c++) {
    const start = c * n;
    for (let step = 0; step < CALLS_PER_CHUNK; step++, call++) {
      const plan = kv.plan(start, n);
      const prefix = kv.attendedPrefix(plan);
      const newK = Array.from({ length: s.numLayers }, (_, l) => freshRows(call, l, start, n, 0));
      const newV = Array.from({ length: s.numLayers }, (_, l) => freshRows(call, l, start, n, 1));
      // Copy what is attended before commit() overwrites the slots the views point at.
      const attended = {
        k: prefix.k.map((p, l) => concat([p.slice(), newK[l]!.subarray(plan.freshFrom * DIM)])),
        v: prefix.v.map((p, l) => concat([p.slice(), newV[l]!.subarray(plan.freshFrom * DIM)])),
      };
      kv.commit(plan, newK, newV);
      after({ chunk: c, call, stepInChunk: step, recompute: plan.recompute, attended, prefixViews: prefix, globalEnd: kv.globalEnd, localEnd: kv.localEnd });
    }
  }
}

/** (absolute token, call id) of every slot of a layer's K buffer up to `tokens`. */
function slots(buf: Float32Array, tokens: number): { abs: number; call: number }[] {
  const out: { abs: number; call: number }[] = [];
  for (let s = 0; s < tokens; s++) out.push({ abs: buf[s * DIM]!, call: buf[s * DIM + 1]! });
  return out;
}

/** Absolute frames held by the buffer, in slot order (each frame listed once). */
function framesHeld(kv: KVCache): number[] {
  const fs = kv.config.tokensPerFrame;
  const frames: number[] = [];
  for (const { abs } of slots(kv.k[0]!, kv.localEnd)) {
    const f = Math.floor(abs / fs);
    if (frames[frames.length - 1] !== f) frames.push(f);
  }
  return frames;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

const DEFAULTS: Setup = { sinkFrames: 3, windowFrames: 12, chunkFrames: 3, tokensPerFrame: 2, numLayers: 2 };

describe('KVCache eviction order (sink 3, window 12, chunk 3)', () => {
  it('keeps frames 0–2 and then the most recent frames, in order, after chunks 0..6', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    const held: number[][] = [];
    drive(kv, DEFAULTS, 7, (r) => {
      if (r.stepInChunk === STEPS) held.push(framesHeld(kv));
    });
    expect(held).toEqual([
      range(0, 3),
      range(0, 6),
      range(0, 9),
      range(0, 12),
      [0, 1, 2, ...range(6, 15)],
      [0, 1, 2, ...range(9, 18)],
      [0, 1, 2, ...range(12, 21)],
    ]);
  });

  it('advances globalEnd by a chunk and fills localEnd up to the window', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    const fs = DEFAULTS.tokensPerFrame;
    const ends: [number, number][] = [];
    drive(kv, DEFAULTS, 7, (r) => {
      if (r.stepInChunk === STEPS) ends.push([r.globalEnd, r.localEnd]);
    });
    expect(ends).toEqual(range(0, 7).map((c) => [(c + 1) * 3 * fs, Math.min((c + 1) * 3, 12) * fs]));
  });

  it('holds each frame as its chunk\'s clean pass wrote it, token by token in order', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    drive(kv, DEFAULTS, 7);
    const n = DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame;
    for (let l = 0; l < DEFAULTS.numLayers; l++) {
      const held = slots(kv.k[l]!, kv.localEnd);
      const absolute = held.map((h) => h.abs);
      expect(absolute).toEqual([...range(0, 6), ...range(24, 42)]);
      for (const h of held) expect(h.call).toBe(Math.floor(h.abs / n) * CALLS_PER_CHUNK + STEPS);
      expect(kv.k[l]![2]).toBe(l);
      expect(kv.v[l]![3]).toBe(1);
    }
  });
});

describe('KVCache sink preservation', () => {
  for (const setup of [DEFAULTS, { ...DEFAULTS, sinkFrames: 6 }]) {
    it(`sink slots stay byte-identical across later chunks and evictions (sink ${setup.sinkFrames})`, () => {
      const kv = new KVCache(configOf(setup));
      const sinkBytes = kv.sinkTokens * DIM * 4;
      let snapshot: Uint8Array[] | undefined;
      const sinkFilledAfterChunk = Math.ceil(setup.sinkFrames / setup.chunkFrames) - 1;
      let compared = 0;
      let evictions = 0;
      drive(kv, setup, 9, (r) => {
        const now = [...kv.k, ...kv.v].map((b) => new Uint8Array(b.buffer, b.byteOffset, sinkBytes).slice());
        if (r.chunk === sinkFilledAfterChunk && r.stepInChunk === STEPS) snapshot = now;
        else if (snapshot) {
          expect(now).toEqual(snapshot);
          compared++;
        }
        if (r.globalEnd > kv.capacity && r.stepInChunk === 0) evictions++;
      });
      expect(evictions).toBeGreaterThan(0);
      expect(compared).toBeGreaterThan(0);
      // The sink holds the first frames, not zeros.
      expect(slots(kv.k[0]!, kv.sinkTokens).map((s) => s.abs)).toEqual(range(0, kv.sinkTokens));
    });
  }
});

describe('KVCache reset', () => {
  it('zeroes every buffer and both indices, and then behaves like a new cache', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    drive(kv, DEFAULTS, 6);
    const buffers = [...kv.k, ...kv.v];
    kv.reset();
    expect(kv.globalEnd).toBe(0);
    expect(kv.localEnd).toBe(0);
    for (const b of [...kv.k, ...kv.v]) expect(b.every((x) => x === 0)).toBe(true);
    // Same memory: the session's buffers are reused, not reallocated.
    expect([...kv.k, ...kv.v].every((b, i) => b === buffers[i])).toBe(true);

    const fresh = new KVCache(configOf(DEFAULTS));
    drive(kv, DEFAULTS, 6);
    drive(fresh, DEFAULTS, 6);
    expect(kv.k).toEqual(fresh.k);
    expect(kv.v).toEqual(fresh.v);
    expect([kv.globalEnd, kv.localEnd]).toEqual([fresh.globalEnd, fresh.localEnd]);
  });

  it('drops a call that was planned but not committed', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    kv.plan(0, DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame);
    kv.reset();
    expect(() => kv.plan(0, DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame)).not.toThrow();
  });
});

describe('KVCache recompute calls', () => {
  it('steps 2..4 and the clean pass re-run the chunk without moving the indices', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    const byChunk = new Map<number, CallRecord[]>();
    drive(kv, DEFAULTS, 7, (r) => byChunk.set(r.chunk, [...(byChunk.get(r.chunk) ?? []), r]));
    for (const [chunk, calls] of byChunk) {
      const [first, ...rest] = calls;
      // Chunk 0 starts at token 0, which LongLive never treats as a recompute.
      expect(first!.recompute).toBe(false);
      for (const r of rest) {
        expect(r.recompute).toBe(chunk > 0);
        expect([r.globalEnd, r.localEnd]).toEqual([first!.globalEnd, first!.localEnd]);
      }
    }
  });

  it('every call overwrites the chunk\'s slots; the clean pass\'s writes are what the next chunk reads', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    const n = DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame;
    let checkedNext = 0;
    drive(kv, DEFAULTS, 7, (r) => {
      // After each call the chunk's slots (the last n filled ones) hold that call's keys.
      const own = slots(kv.k[0]!, kv.localEnd).slice(-n);
      expect(own.map((s) => s.call)).toEqual(new Array(n).fill(r.call));
      expect(own.map((s) => s.abs)).toEqual(range(r.chunk * n, (r.chunk + 1) * n));
      if (r.chunk > 0 && r.stepInChunk === 0) {
        const previous = rowsOf(r.attended.k[0]!).map((row) => row.split(',').map(Number)).filter(([abs]) => abs! >= (r.chunk - 1) * n && abs! < r.chunk * n);
        expect(previous.length).toBe(n);
        for (const [, call] of previous) expect(call).toBe((r.chunk - 1) * CALLS_PER_CHUNK + STEPS);
        checkedNext++;
      }
    });
    expect(checkedNext).toBe(6);
  });
});

describe('KVCache attendedPrefix', () => {
  it('returns views into the cache buffers when the stored prefix is contiguous (every call of the default setup)', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    let views = 0;
    drive(kv, DEFAULTS, 7, (r) => {
      for (let l = 0; l < DEFAULTS.numLayers; l++) {
        expect(r.prefixViews.k[l]!.buffer).toBe(kv.k[l]!.buffer);
        expect(r.prefixViews.v[l]!.buffer).toBe(kv.v[l]!.buffer);
        expect(r.prefixViews.k[l]!.byteOffset).toBe(0);
      }
      views++;
    });
    expect(views).toBe(7 * CALLS_PER_CHUNK);
  });

  it('in steady state the view covers the sink and the window before the chunk in one range', () => {
    const kv = new KVCache(configOf(DEFAULTS));
    drive(kv, DEFAULTS, 5);
    const n = DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame;
    const plan = kv.plan(5 * n, n);
    expect(plan.evicted).toBe(n);
    expect(plan.storedRanges).toEqual([[0, kv.capacity - n]]);
    const prefix = kv.attendedPrefix(plan);
    expect(prefix.tokens).toBe(kv.capacity - n);
    expect(prefix.k[0]!.length).toBe((kv.capacity - n) * DIM);
    kv.abandon();
  });

  it('gathers a split prefix into scratch buffers allocated once (sink 10 ahead of a 6- and a 9-frame fill)', () => {
    // Before the sink is full the attended sink has unwritten slots past the chunk, so the
    // stored part is [0, chunk start) ∪ [fill, sink): not contiguous.
    const setup = { ...DEFAULTS, sinkFrames: 10 };
    const kv = new KVCache(configOf(setup));
    const scratch = new Set<ArrayBufferLike>();
    const gatheredAt: string[] = [];
    drive(kv, setup, 3, (r) => {
      if (r.prefixViews.k[0]!.buffer === kv.k[0]!.buffer) return;
      for (let l = 0; l < setup.numLayers; l++) scratch.add(r.prefixViews.k[l]!.buffer);
      gatheredAt.push(`chunk ${r.chunk} call ${r.stepInChunk}`);
    });
    // Only first steps write below the sink; re-runs are clipped there and read it as one view.
    expect(gatheredAt).toEqual(['chunk 1 call 0', 'chunk 2 call 0']);
    expect(scratch.size).toBe(setup.numLayers);
    expectMatchesReference(setup, 3);
  });
});

/** Drives the cache and the reference side by side and compares them after every call. */
function expectMatchesReference(setup: Setup, chunks: number): void {
  const cfg = configOf(setup);
  const kv = new KVCache(cfg);
  const ref = new ReferenceCache(cfg);
  const n = setup.chunkFrames * setup.tokensPerFrame;
  let calls = 0;
  drive(kv, setup, chunks, (r) => {
    const start = r.chunk * n;
    const expected = ref.call(
      start,
      n,
      Array.from({ length: setup.numLayers }, (_, l) => freshRows(r.call, l, start, n, 0)),
      Array.from({ length: setup.numLayers }, (_, l) => freshRows(r.call, l, start, n, 1)),
    );
    const where = `chunk ${r.chunk} call ${r.stepInChunk}`;
    for (let l = 0; l < setup.numLayers; l++) {
      expect(pairs(r.attended.k[l]!, r.attended.v[l]!), `${where}: attended, layer ${l}`).toEqual(pairs(expected.k[l]!, expected.v[l]!));
      expect(kv.k[l], `${where}: K buffer, layer ${l}`).toEqual(ref.k[l]);
      expect(kv.v[l], `${where}: V buffer, layer ${l}`).toEqual(ref.v[l]);
    }
    expect([kv.globalEnd, kv.localEnd], where).toEqual([ref.globalEnd, ref.localEnd]);
    calls++;
  });
  expect(calls).toBe(chunks * CALLS_PER_CHUNK);
}

/** Setups checked call by call against the reference; sink ≥ chunk, sink > chunk, no sink, odd sizes. */
const REFERENCE_SETUPS: Setup[] = [
  DEFAULTS,
  { ...DEFAULTS, sinkFrames: 6 },
  { ...DEFAULTS, sinkFrames: 9 },
  { ...DEFAULTS, sinkFrames: 0 },
  { sinkFrames: 1, windowFrames: 5, chunkFrames: 2, tokensPerFrame: 3, numLayers: 1 },
  { sinkFrames: 4, windowFrames: 10, chunkFrames: 3, tokensPerFrame: 1, numLayers: 3 },
];

describe('KVCache against a clone-and-concat reference of LongLive', () => {
  for (const setup of REFERENCE_SETUPS) {
    const name = `sink ${setup.sinkFrames}, window ${setup.windowFrames}, chunk ${setup.chunkFrames}, ${setup.tokensPerFrame} tokens/frame`;
    it(`${name}: same attended keys/values, same buffers, same indices after every call`, () => expectMatchesReference(setup, 9));
  }

  it('sink 6 > chunk 3: the recompute writes into the sink are clipped, so chunk 1 keeps its first step\'s keys there forever', () => {
    const setup = { ...DEFAULTS, sinkFrames: 6 };
    const kv = new KVCache(configOf(setup));
    const n = setup.chunkFrames * setup.tokensPerFrame;
    const chunk1FirstCall = CALLS_PER_CHUNK;
    let chunk1Calls = 0;
    drive(kv, setup, 8, (r) => {
      if (r.chunk === 1 && r.stepInChunk > 0) {
        // Steps 2..4 and the clean pass of chunk 1 attend the sink as stored: nothing fresh.
        expect(r.recompute).toBe(true);
        const attended = rowsOf(r.attended.k[0]!);
        expect(attended.length).toBe(kv.sinkTokens);
        expect(attended.every((row) => Number(row.split(',')[1]) <= chunk1FirstCall)).toBe(true);
        chunk1Calls++;
      }
    });
    expect(chunk1Calls).toBe(STEPS);
    const sink = slots(kv.k[0]!, kv.sinkTokens);
    expect(sink.slice(0, n).map((s) => s.call)).toEqual(new Array(n).fill(STEPS)); // chunk 0: its clean pass
    expect(sink.slice(n).map((s) => s.call)).toEqual(new Array(n).fill(chunk1FirstCall)); // chunk 1: its first step
  });
});

describe('KVCache errors', () => {
  const ok = configOf(DEFAULTS);

  it.each([
    ['numLayers', -1, /numLayers must be a non-negative integer, got -1/],
    ['dim', 1.5, /dim must be a non-negative integer, got 1.5/],
    ['sinkFrames', Number.NaN, /sinkFrames must be a non-negative integer/],
    ['windowFrames', 0, /windowFrames, tokensPerFrame and dim must be positive/],
    ['tokensPerFrame', 0, /windowFrames, tokensPerFrame and dim must be positive/],
    ['sinkFrames', 12, /sink \(12 frames\) must be smaller than the window \(12 frames\)/],
  ] as const)('rejects %s = %s', (field, value, message) => {
    expect(() => new KVCache({ ...ok, [field]: value })).toThrow(message);
  });

  it('rejects a chunk that cannot fit beside the sink', () => {
    const setup = { ...DEFAULTS, sinkFrames: 3, windowFrames: 5 };
    const kv = new KVCache(configOf(setup));
    const n = setup.chunkFrames * setup.tokensPerFrame;
    kv.commit(kv.plan(0, n), freshK(setup, n), freshK(setup, n));
    expect(() => kv.plan(n, n)).toThrow(/a 6-token chunk cannot fit a 10-token cache with a 6-token sink/);
  });

  it('rejects a first chunk larger than the cache', () => {
    const kv = new KVCache(ok);
    expect(() => kv.plan(0, kv.capacity + 1)).toThrow(/cannot fit/);
  });

  it('rejects planning twice without a commit, and committing a plan that was not the last', () => {
    const kv = new KVCache(ok);
    const n = DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame;
    const plan = kv.plan(0, n);
    expect(() => kv.plan(0, n)).toThrow(/planned but never committed/);
    kv.commit(plan, freshK(DEFAULTS, n), freshK(DEFAULTS, n));
    expect(() => kv.commit(plan, freshK(DEFAULTS, n), freshK(DEFAULTS, n))).toThrow(/not the last one planned/);
  });

  it('rejects fresh keys with the wrong layer or token count', () => {
    const kv = new KVCache(ok);
    const n = DEFAULTS.chunkFrames * DEFAULTS.tokensPerFrame;
    const plan = kv.plan(0, n);
    expect(() => kv.commit(plan, freshK(DEFAULTS, n).slice(1), freshK(DEFAULTS, n))).toThrow(/1 layers of keys for 2 layers/);
    expect(() => kv.commit(plan, freshK(DEFAULTS, n - 1), freshK(DEFAULTS, n - 1))).toThrow(/layer 0 has 5 fresh tokens, expected 6/);
  });
});

function freshK(s: Setup, n: number): Float32Array[] {
  return Array.from({ length: s.numLayers }, (_, l) => freshRows(0, l, 0, n, 0));
}
