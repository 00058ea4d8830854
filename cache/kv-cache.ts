/**
 * Self-attention KV cache of the causal DiT: per main block, keys (after RMSNorm and RoPE, so
 * every cached frame keeps its ABSOLUTE rotation) and values, in one buffer of
 * `windowFrames · tokensPerFrame` tokens allocated once per session. The first `sinkFrames`
 * frames are the attention sink and are never evicted; when a new chunk does not fit, the oldest
 * non-sink tokens are evicted by shifting the rest down (LongLive's rolling window).
 *
 * The bookkeeping follows LongLive's CausalWanSelfAttention (scope
 * longlive/modules/causal_model.py) exactly — global/local end indices, roll-and-insert vs
 * direct insert, no sink writes while re-running an already written chunk — but the buffer is
 * updated in place (no per-call clone of the whole cache): each call is planned with `plan()`,
 * the graph attends to `attendedPrefix()` plus the chunk's fresh keys, and `commit()` writes
 * the fresh keys afterwards.
 */
export interface KVCacheConfig {
  numLayers: number;
  dim: number;
  tokensPerFrame: number;
  /** Attention sink in latent frames (kept forever). */
  sinkFrames: number;
  /** Cache size and attention window in latent frames (local_attn_size). */
  windowFrames: number;
}

/** Everything one model call needs to read from and write to the cache. */
export interface CallPlan {
  readonly currentStart: number;
  readonly newTokens: number;
  readonly recompute: boolean;
  /** Tokens evicted (and slots shifted) by this call's roll, 0 for a direct insert. */
  readonly evicted: number;
  readonly localStart: number;
  readonly localEnd: number;
  readonly writeStart: number;
  /** The first fresh token (of the call's `newTokens`) that is attended and written. */
  readonly freshFrom: number;
  /** Cached tokens attended besides the fresh ones, as [start, end) slot ranges. */
  readonly storedRanges: readonly (readonly [number, number])[];
}

export class KVCache {
  readonly config: KVCacheConfig;
  readonly capacity: number;
  readonly sinkTokens: number;
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  #globalEnd = 0;
  #localEnd = 0;
  #pending: CallPlan | undefined;
  #scratchK: Float32Array[] = [];
  #scratchV: Float32Array[] = [];

  constructor(config: KVCacheConfig) {
    const { numLayers, dim, tokensPerFrame, sinkFrames, windowFrames } = config;
    for (const [k, v] of Object.entries(config)) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`KV cache: ${k} must be a non-negative integer, got ${v}`);
    }
    if (windowFrames <= 0 || tokensPerFrame <= 0 || dim <= 0) throw new Error('KV cache: windowFrames, tokensPerFrame and dim must be positive');
    if (sinkFrames >= windowFrames) throw new Error(`KV cache: sink (${sinkFrames} frames) must be smaller than the window (${windowFrames} frames)`);
    this.config = config;
    this.capacity = windowFrames * tokensPerFrame;
    this.sinkTokens = sinkFrames * tokensPerFrame;
    this.k = Array.from({ length: numLayers }, () => new Float32Array(this.capacity * dim));
    this.v = Array.from({ length: numLayers }, () => new Float32Array(this.capacity * dim));
  }

  /** Absolute token count written so far (LongLive's global_end_index). */
  get globalEnd(): number {
    return this.#globalEnd;
  }

  /** Fill level of the buffer in tokens (local_end_index). */
  get localEnd(): number {
    return this.#localEnd;
  }

  reset(): void {
    for (const b of this.k) b.fill(0);
    for (const b of this.v) b.fill(0);
    this.#globalEnd = 0;
    this.#localEnd = 0;
    this.#pending = undefined;
  }

  /**
   * Plans one model call over tokens [currentStart, currentStart + newTokens). If the chunk does
   * not fit, the roll (eviction) is applied to the buffer now; fresh keys are written by commit().
   */
  plan(currentStart: number, newTokens: number): CallPlan {
    if (this.#pending) throw new Error('KV cache: the previous call was planned but never committed');
    const S = this.capacity;
    const sink = this.sinkTokens;
    const G = this.#globalEnd;
    const L = this.#localEnd;
    const currentEnd = currentStart + newTokens;
    const recompute = currentEnd <= G && currentStart > 0;
    let evicted = 0;
    let localEnd: number;
    if (currentEnd > G && newTokens + L > S) {
      evicted = newTokens + L - S;
      const rolled = L - evicted - sink;
      if (rolled < 0) throw new Error(`KV cache: a ${newTokens}-token chunk cannot fit a ${S}-token cache with a ${sink}-token sink`);
      const dim = this.config.dim;
      for (const buf of [...this.k, ...this.v]) buf.copyWithin(sink * dim, (sink + evicted) * dim, (sink + evicted + rolled) * dim);
      localEnd = L + currentEnd - G - evicted;
    } else {
      localEnd = L + currentEnd - G;
    }
    const localStart = localEnd - newTokens;
    if (localStart < 0 || localEnd > S) throw new Error(`KV cache: call [${currentStart}, ${currentEnd}) does not fit the cache (local [${localStart}, ${localEnd}) of ${S})`);
    // While re-running a written chunk the sink is protected: slots below it keep their content.
    const writeStart = recompute ? Math.max(localStart, sink) : localStart;

    // Attended slots: the sink, then the window [max(sink, localEnd − (S − sink)), localEnd).
    const windowStart = Math.max(sink, localEnd - (S - sink));
    const attended: [number, number][] = [];
    if (sink > 0) attended.push([0, sink]);
    if (windowStart < localEnd) attended.push([windowStart, localEnd]);
    // Fresh tokens are attended where they are written and the slot is attended. Attention
    // does not depend on key order, so fresh keys go last and the stored ones first.
    const freshRange: [number, number] = [writeStart, localEnd];
    const inAttended = (s: number) => attended.some(([a, b]) => s >= a && s < b);
    let freshAttStart = localEnd;
    for (let s = localEnd - 1; s >= writeStart && inAttended(s); s--) freshAttStart = s;
    for (let s = writeStart; s < freshAttStart; s++) {
      if (inAttended(s)) throw new Error('KV cache: this sink/window/chunk combination attends a non-suffix part of the chunk (unsupported)');
    }
    // Adjacent pieces (the sink and the window right after it) are merged, so a contiguous
    // stored prefix is one range and attendedPrefix() can hand out a view instead of a copy.
    const stored: [number, number][] = [];
    const addStored = (a: number, b: number) => {
      const last = stored[stored.length - 1];
      if (last && last[1] === a) last[1] = b;
      else stored.push([a, b]);
    };
    for (const [a, b] of attended) {
      // Subtract the fresh range from each attended range.
      if (b <= freshRange[0] || a >= freshRange[1]) addStored(a, b);
      else {
        if (a < freshRange[0]) addStored(a, freshRange[0]);
        if (b > freshRange[1]) addStored(freshRange[1], b);
      }
    }
    const plan: CallPlan = {
      currentStart,
      newTokens,
      recompute,
      evicted,
      localStart,
      localEnd,
      writeStart,
      freshFrom: freshAttStart - localStart,
      storedRanges: stored,
    };
    this.#pending = plan;
    return plan;
  }

  /**
   * The cached keys and values a call attends to besides its fresh tokens, per layer, [P, dim].
   * A single contiguous range is returned as a view (no copy); otherwise gathered into scratch.
   */
  attendedPrefix(plan: CallPlan): { k: Float32Array[]; v: Float32Array[]; tokens: number } {
    const dim = this.config.dim;
    const tokens = plan.storedRanges.reduce((n, [a, b]) => n + b - a, 0);
    if (plan.storedRanges.length <= 1) {
      const [a, b] = plan.storedRanges[0] ?? [0, 0];
      return { k: this.k.map((buf) => buf.subarray(a * dim, b * dim)), v: this.v.map((buf) => buf.subarray(a * dim, b * dim)), tokens };
    }
    if (this.#scratchK.length === 0) {
      this.#scratchK = this.k.map(() => new Float32Array(this.capacity * dim));
      this.#scratchV = this.v.map(() => new Float32Array(this.capacity * dim));
    }
    const gather = (src: Float32Array[], dst: Float32Array[]) =>
      src.map((buf, i) => {
        let o = 0;
        for (const [a, b] of plan.storedRanges) {
          dst[i]!.set(buf.subarray(a * dim, b * dim), o * dim);
          o += b - a;
        }
        return dst[i]!.subarray(0, tokens * dim);
      });
    return { k: gather(this.k, this.#scratchK), v: gather(this.v, this.#scratchV), tokens };
  }

  /** Writes the call's fresh keys/values (each [newTokens, dim] per layer) and advances the indices. */
  commit(plan: CallPlan, newK: readonly Float32Array[], newV: readonly Float32Array[]): void {
    if (this.#pending !== plan) throw new Error('KV cache: commit() for a call that was not the last one planned');
    const dim = this.config.dim;
    const offset = plan.writeStart - plan.localStart;
    const len = plan.localEnd - plan.writeStart;
    if (newK.length !== this.k.length || newV.length !== this.v.length) throw new Error(`KV cache: ${newK.length} layers of keys for ${this.k.length} layers`);
    if (len > 0) {
      for (let i = 0; i < this.k.length; i++) {
        if (newK[i]!.length !== plan.newTokens * dim) throw new Error(`KV cache: layer ${i} has ${newK[i]!.length / dim} fresh tokens, expected ${plan.newTokens}`);
        this.k[i]!.set(newK[i]!.subarray(offset * dim, (offset + len) * dim), plan.writeStart * dim);
        this.v[i]!.set(newV[i]!.subarray(offset * dim, (offset + len) * dim), plan.writeStart * dim);
      }
    }
    if (!plan.recompute) {
      this.#globalEnd = plan.currentStart + plan.newTokens;
      this.#localEnd = plan.localEnd;
    }
    this.#pending = undefined;
  }

  /** Drops a planned call that failed (the roll, if any, already happened and is kept). */
  abandon(): void {
    this.#pending = undefined;
  }
}
