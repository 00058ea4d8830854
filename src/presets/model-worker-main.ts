/**
 * Entry point of the model worker thread: loads a preset's bundle (DiT, TAE; the text encoder
 * in its own worker below this one) and runs every session's generator on it. onnxruntime-node
 * runs a session synchronously on the calling thread — measured: a 6.4 s WebGPU run blocked the
 * event loop for 6.4 s, a 0.3 s CPU run for 0.3 s — so model runs on the main thread would stall
 * WebRTC (ICE consent, RTP pacing) and HTTP. Here they stall only this thread.
 *
 * Calls are served one at a time (serveWorker), which is also how one GPU runs them.
 */
import { serveWorker, transferring } from '../model/runtime/worker-service.ts';
import type { ChunkGenerator } from '../pipeline/generator-types.ts';
import type { RgbImage } from '../pipeline/reference-images.ts';
import { loadPreset } from './load.ts';
import type { ImageRef, ModelWorkerProtocol } from './model-worker-protocol.ts';

/** The images a generator was last given, by id: the same object comes back for the same id. */
class ImageTable {
  #byId = new Map<number, RgbImage>();

  /** Resolves this chunk's refs and forgets images the chunk no longer uses. */
  resolve(refs: readonly (ImageRef | undefined)[]): (RgbImage | undefined)[] {
    const next = new Map<number, RgbImage>();
    const out = refs.map((r) => {
      if (!r) return undefined;
      const image = r.image ?? this.#byId.get(r.id) ?? next.get(r.id);
      if (!image) throw new Error(`image ${r.id} was not sent before (the main thread and the worker disagree)`);
      next.set(r.id, image);
      return image;
    });
    this.#byId = next;
    return out;
  }
}

serveWorker<ModelWorkerProtocol>(async (init, log) => {
  const bundle = await loadPreset({ ...init, log });
  const generators = new Map<number, { generator: ChunkGenerator; images: ImageTable }>();
  const generatorFor = (id: number) => {
    let g = generators.get(id);
    if (!g) {
      g = { generator: bundle.createGenerator(), images: new ImageTable() };
      generators.set(id, g);
    }
    return g;
  };
  const probe = bundle.createGenerator();
  const { preset, description, randomWeights, devices, width, height, device, dtype } = bundle;
  const ready = { preset, description, randomWeights, devices, width, height, device, dtype, framesPerChunk: probe.framesForNextChunk() };
  await probe.dispose();
  return {
    ready,
    calls: {
      generate: async (req) => {
        const { generator, images } = generatorFor(req.generator);
        const refs = req.references ?? [];
        const resolved = images.resolve([...refs, req.firstFrame, req.lastFrame]);
        const frames = await generator.generate({
          frames: req.frames,
          control: req.control,
          params: req.params,
          references: refs.length ? (resolved.slice(0, refs.length) as RgbImage[]) : undefined,
          firstFrame: resolved[refs.length],
          lastFrame: resolved[refs.length + 1],
        });
        // A generator may hand out a view of a larger buffer: send exactly the frames.
        const data = frames.data.byteOffset === 0 && frames.data.byteLength === frames.data.buffer.byteLength ? frames.data : frames.data.slice();
        return transferring({ frames: { ...frames, data }, framesForNextChunk: generator.framesForNextChunk() }, [data.buffer as ArrayBuffer]);
      },
      reset: (id) => generators.get(id)?.generator.reset(),
      dispose: async (id) => {
        const g = generators.get(id);
        generators.delete(id);
        await g?.generator.dispose();
      },
      warmUp: () => bundle.warmUp(),
    },
    close: async () => {
      for (const g of generators.values()) await g.generator.dispose();
      generators.clear();
      await bundle.release();
    },
  };
});
