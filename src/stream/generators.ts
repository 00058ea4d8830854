/**
 * Where model generators are made available to live sessions. The model code registers a factory
 * (e.g. at startup, once its weights are loaded); the session creates one generator per session
 * from it. With nothing registered, generate mode answers "no model loaded".
 */
import type { ChunkGenerator } from '../pipeline/generator-types.ts';

export interface GeneratorInfo {
  readonly id: string;
  readonly title: string;
  readonly description?: string;
  /** Where the generator's models run, e.g. `{ dit: 'webgpu', tae: 'webgpu', textEncoder: 'webgpu' }` (after any CPU fallback). */
  readonly devices?: Readonly<Record<string, string>>;
}

export interface GeneratorFactoryOptions {
  /** Camera frame size the session receives. */
  readonly width: number;
  readonly height: number;
}

export type GeneratorFactory = (options: GeneratorFactoryOptions) => Promise<ChunkGenerator> | ChunkGenerator;

export class NoModelLoadedError extends Error {
  constructor(detail = '') {
    super(`no model loaded: generate mode needs a model generator and none is registered${detail ? ` (${detail})` : ''}; use preview mode or start the server with a model preset`);
    this.name = 'NoModelLoadedError';
  }
}

export class GeneratorRegistry {
  readonly #entries = new Map<string, { info: GeneratorInfo; factory: GeneratorFactory }>();
  #defaultId?: string;

  register(info: GeneratorInfo, factory: GeneratorFactory, options: { makeDefault?: boolean } = {}): () => void {
    if (!info.id) throw new Error('generator id must not be empty');
    if (this.#entries.has(info.id)) throw new Error(`a generator with id '${info.id}' is already registered`);
    this.#entries.set(info.id, { info, factory });
    if (options.makeDefault || this.#defaultId === undefined) this.#defaultId = info.id;
    return () => this.unregister(info.id);
  }

  unregister(id: string): void {
    this.#entries.delete(id);
    if (this.#defaultId === id) this.#defaultId = this.#entries.keys().next().value;
  }

  list(): GeneratorInfo[] {
    return [...this.#entries.values()].map((e) => e.info);
  }

  get defaultId(): string | undefined {
    return this.#defaultId;
  }

  has(id?: string): boolean {
    const key = id ?? this.#defaultId;
    return key !== undefined && this.#entries.has(key);
  }

  /** Makes a generator for one session; throws NoModelLoadedError when none is registered. */
  async create(options: GeneratorFactoryOptions, id?: string): Promise<ChunkGenerator> {
    const key = id ?? this.#defaultId;
    if (key === undefined) throw new NoModelLoadedError();
    const e = this.#entries.get(key);
    if (!e) throw new NoModelLoadedError(`unknown generator '${key}'; registered: ${[...this.#entries.keys()].join(', ') || 'none'}`);
    return e.factory(options);
  }
}

/** What a loaded model preset offers (structurally, e.g. src/presets/bundle.ts ModelBundle). */
export interface GeneratorSource {
  readonly preset: string;
  readonly description: string;
  readonly devices?: Readonly<Record<string, string>>;
  createGenerator(): ChunkGenerator;
}

/** Registers a loaded preset so every session can make its own generator from it. */
export function registerPreset(registry: GeneratorRegistry, source: GeneratorSource, options: { makeDefault?: boolean } = {}): () => void {
  return registry.register({ id: source.preset, title: source.preset, description: source.description, ...(source.devices ? { devices: source.devices } : {}) }, () => source.createGenerator(), options);
}

/** The process-wide registry the server uses unless it is given another. */
export const generators = new GeneratorRegistry();
