/** Test doubles for the session stages: deterministic promises, recording controls and generators. */
import type { Control, ControlOutput } from '../../controls/types.ts';
import type { RgbFrames } from '../../src/frames.ts';
import type { ChunkGenerator, ChunkInput } from '../../src/pipeline/generator-types.ts';
import type { ControlSource } from '../../src/stream/control-source.ts';
import type { TimedFrame } from '../../src/stream/types.ts';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued promise continuation run (a macrotask comes after all microtasks). */
export const settle = () => new Promise<void>((r) => setImmediate(r));

/** A control that writes `value` into every byte and records what happened to it. */
export function constantControl(id: string, value: number, log: string[] = []): Control {
  return {
    id,
    needsWeights: false,
    process: (f: RgbFrames): ControlOutput => ({ frames: { ...f, data: new Uint8Array(f.data.length).fill(value) } }),
    reset: () => void log.push(`reset ${id}`),
    dispose: () => void log.push(`dispose ${id}`),
  };
}

/** Controls 'passthrough', 'ten', 'twenty'; `created` records each id made. */
export function recordingControls(created: string[] = [], log: string[] = []): ControlSource {
  const make: Record<string, () => Control> = {
    passthrough: () => ({ id: 'passthrough', needsWeights: false, process: (f) => ({ frames: f }), reset: () => {}, dispose: () => void log.push('dispose passthrough') }),
    ten: () => constantControl('ten', 10, log),
    twenty: () => constantControl('twenty', 20, log),
  };
  return {
    list: () => Object.keys(make).map((id) => ({ id })),
    create: (id) => {
      created.push(id);
      return make[id]();
    },
  };
}

/** A generator returning its input frames; records inputs, resets and disposal. */
export class FakeGenerator implements ChunkGenerator {
  readonly inputs: ChunkInput[] = [];
  resets = 0;
  disposed = false;
  constructor(
    readonly id = 'fake',
    readonly size?: { width: number; height: number },
  ) {}
  outputSize(width: number, height: number) {
    return this.size ?? { width, height };
  }
  framesForNextChunk(): number {
    return 2;
  }
  async generate(input: ChunkInput): Promise<RgbFrames> {
    this.inputs.push(input);
    return input.frames;
  }
  reset(): void {
    this.resets++;
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

export function rgb(width: number, height: number, value: number, count = 1): RgbFrames {
  return { width, height, count, data: new Uint8Array(width * height * 3 * count).fill(value) };
}

export function timedFrames(n: number, width = 2, height = 1): TimedFrame[] {
  return Array.from({ length: n }, (_, i) => ({ frame: rgb(width, height, i), capturedAt: 1000 + i, seq: i }));
}
