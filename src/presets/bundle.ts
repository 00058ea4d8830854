/**
 * A loaded model preset: the shared, read-only models (DiT graphs, TAE, text-encoder worker)
 * and a factory for per-session generators. Sessions share ORT sessions (runs on one session
 * may overlap) but each has its own KV cache, TAE caches and hint cache.
 */
import { PromptCache } from '../../cache/prompt-cache.ts';
import { TaeStreamCache } from '../../cache/tae-cache.ts';
import { join } from 'node:path';
import { safetensorsWeights } from '../model/weights/reader.ts';
import type { Device, ModelDtype } from '../model/runtime/session.ts';
import type { TaeConfig } from '../model/tae/config.ts';
import { TaeModel } from '../model/tae/model.ts';
import { TaeStreamVae } from '../pipeline/tae-stream-vae.ts';
import type { Umt5Config } from '../model/text/config.ts';
import type { Umt5WeightFormat } from '../model/text/param-spec.ts';
import { TextEncoderWorker } from '../model/text/encoder-worker.ts';
import type { WanConfig } from '../model/wan/config.ts';
import { WanModel } from '../model/wan/model.ts';
import type { F32Tensor } from '../model/tensor.ts';
import { openCheckpoint } from '../model/weights/checkpoint.ts';
import { SafetensorsFile } from '../model/weights/safetensors.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import { WeightedPromptEncoder } from '../pipeline/prompt-encoder.ts';
import { WanStreamGenerator } from '../pipeline/wan-generator.ts';
import { demoConfig, ensureDemoFiles } from './demo.ts';

export interface ModelBundle {
  readonly preset: string;
  readonly description: string;
  /** Random weights: output is abstract texture, not an image of the prompt. */
  readonly randomWeights: boolean;
  /**
   * Where each model actually runs: `device` unless a provider failed for it at load and the
   * session seam retried on CPU (any one of its ORT sessions falling back makes it `cpu`), so a
   * requested GPU that quietly became CPU shows here (the server lists it in /api/models).
   */
  readonly devices: ModelDevices;
  readonly width: number;
  readonly height: number;
  readonly device: Device;
  /** The precision the models were built in. */
  readonly dtype: ModelDtype;
  createGenerator(): ChunkGenerator;
  /**
   * Runs two throwaway chunks (text only, then with a control) so the first real session does
   * not pay ORT's first-run costs (often 2–4× a later run) in its first chunks.
   */
  warmUp(): Promise<void>;
  release(): Promise<void>;
}

// A type, not an interface, so that it is assignable to the server's Record<string, string>.
export type ModelDevices = {
  readonly dit: Device;
  readonly tae: Device;
  /** As reported by the encoder's worker thread. */
  readonly textEncoder: string;
};

export interface LoadOptions {
  modelsDir: string;
  device?: Device;
  /** fp16: the half-precision variants of the DiT, TAE and text-encoder graphs (default fp32). */
  dtype?: ModelDtype;
  threads?: number;
  log?: (msg: string) => void;
  /** The text encoder's weights, overriding the preset's `textWeights`. */
  textWeights?: Umt5WeightFormat;
}

export async function loadDemoBundle(opts: LoadOptions): Promise<ModelBundle> {
  const files = ensureDemoFiles(opts.modelsDir, opts.log);
  return loadBundleFromFiles(
    {
      preset: 'demo',
      description: 'demo: the full pipeline at miniature size with random weights (abstract output)',
      randomWeights: true,
      config: demoConfig(),
      files: { dit: files.dit, tae: files.tae, textEncoder: files.umt5, tokenizer: files.dir },
    },
    opts,
  );
}

/** The models of a preset and its streaming geometry. */
export interface PresetModelConfig {
  wan: WanConfig;
  tae: TaeConfig;
  umt5: Umt5Config;
  /** How the text encoder holds its weights (default f32; int8 where float32 would not fit in memory). */
  textWeights?: Umt5WeightFormat;
  /** Latent chunk: frames per chunk and latent height × width (pixels = 8×). */
  latent: { frames: number; height: number; width: number };
  /** KV cache: frames kept as the attention sink, and the rolling window. */
  sinkFrames: number;
  windowFrames: number;
}

/** What a preset's models are and where their (already float32 for the DiT) files are. */
export interface BundleSpec {
  preset: string;
  description: string;
  randomWeights: boolean;
  config: PresetModelConfig;
  /** `dit`: float32 safetensors (mapped into the graphs); `tae`: any checkpoint format; `tokenizer`: its folder. */
  files: { dit: string; tae: string; textEncoder: string; tokenizer: string };
}

/** Loads the DiT, TAE and text-encoder worker of a preset in parallel and wraps them as a bundle. */
export async function loadBundleFromFiles(spec: BundleSpec, opts: LoadOptions & { cacheDir?: string }): Promise<ModelBundle> {
  const log = opts.log ?? (() => {});
  const { config: cfg, files } = spec;
  const dtype = opts.dtype ?? 'fp32';
  const session = { device: opts.device, dtype, threads: opts.threads, onFallback: (d: Device, e: Error) => log(`${d} provider failed (${e.message.split('\n')[0]}); using CPU`) };
  // Which models had a session fall back to CPU: the bundle reports it (ModelBundle.devices).
  const fellBack = new Set<'dit' | 'tae'>();
  const sessionOf = (model: 'dit' | 'tae') => ({
    ...session,
    onFallback: (d: Device, e: Error) => {
      fellBack.add(model);
      session.onFallback(d, e);
    },
  });
  const deviceOf = (model: 'dit' | 'tae'): Device => (fellBack.has(model) ? 'cpu' : (opts.device ?? 'cpu'));
  const ditFile = new SafetensorsFile(files.dit);
  const taeCkpt = openCheckpoint(files.tae);
  try {
    const shape = { latentFrames: cfg.latent.frames, latentH: cfg.latent.height, latentW: cfg.latent.width };
    const [dit, tae, text] = await Promise.all([
      WanModel.load(cfg.wan, safetensorsWeights(ditFile), shape, { ...sessionOf('dit'), cache: true, vace: true, vaceAttention: 'causal' }),
      TaeModel.load(cfg.tae, taeCkpt, sessionOf('tae')),
      TextEncoderWorker.start({
        tokenizerPath: files.tokenizer,
        weightsPath: files.textEncoder,
        config: cfg.umt5,
        session: { device: opts.device, dtype },
        cacheDir: opts.cacheDir ?? join(opts.modelsDir, 'converted'),
        weights: opts.textWeights ?? cfg.textWeights ?? 'f32',
      }),
    ]);
    return makeBundle({
      preset: spec.preset,
      description: spec.description,
      randomWeights: spec.randomWeights,
      dit,
      tae,
      text,
      devices: { dit: deviceOf('dit'), tae: deviceOf('tae'), textEncoder: text.device },
      sinkFrames: cfg.sinkFrames,
      windowFrames: cfg.windowFrames,
      device: opts.device ?? 'cpu',
      dtype,
    });
  } finally {
    ditFile.close();
    taeCkpt.close();
  }
}

export interface BundleParts {
  preset: string;
  description: string;
  randomWeights: boolean;
  dit: WanModel;
  tae: TaeModel;
  text: TextEncoderWorker;
  devices: ModelDevices;
  sinkFrames: number;
  windowFrames: number;
  device: Device;
  dtype: ModelDtype;
}

export function makeBundle(parts: BundleParts): ModelBundle {
  // Shared by every session: text-encoder outputs and DiT text contexts per cleaned prompt.
  const textCache = new PromptCache<F32Tensor>({ maxBytes: 256 << 20 });
  // Keys are already cleaned (and carry the blend mode), so they are used as they are.
  const contextCache = new PromptCache<F32Tensor>({ maxBytes: 256 << 20, keyOf: (k) => k });
  const embedder = { embed: (t: string) => textCache.getOrCompute(t, async () => (await parts.text.encode(t)).embedding) };
  const promptEncoder = new WeightedPromptEncoder(embedder);
  let released = false;
  return {
    preset: parts.preset,
    description: parts.description,
    randomWeights: parts.randomWeights,
    devices: parts.devices,
    width: parts.dit.shape.latentW * 8,
    height: parts.dit.shape.latentH * 8,
    device: parts.device,
    dtype: parts.dtype,
    createGenerator() {
      if (released) throw new Error(`preset ${parts.preset} was released`);
      return new WanStreamGenerator({
        id: parts.preset,
        dit: parts.dit,
        vae: new TaeStreamVae(parts.tae, new TaeStreamCache()),
        text: promptEncoder,
        sinkFrames: parts.sinkFrames,
        windowFrames: parts.windowFrames,
        contextCache,
      });
    },
    async warmUp() {
      const g = this.createGenerator();
      const frames = { width: this.width, height: this.height, count: g.framesForNextChunk(), data: new Uint8Array(this.width * this.height * 3 * g.framesForNextChunk()).fill(128) };
      const params = { prompt: '', seed: 0, contextScale: 1 };
      await g.generate({ frames, params });
      await g.generate({ frames, control: { frames }, params });
      await g.dispose();
    },
    async release() {
      if (released) return;
      released = true;
      await Promise.all([parts.dit.release(), parts.tae.release(), parts.text.close()]);
    },
  };
}
