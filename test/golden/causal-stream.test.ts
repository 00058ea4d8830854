import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WanModel } from '../../src/model/wan/model.ts';
import { CausalStream } from '../../src/pipeline/causal-stream.ts';
import { cfhwToFchw, fchwToCfhw } from '../../src/pipeline/latent-layout.ts';
import type { NoiseSource } from '../../src/pipeline/noise.ts';
import { f32, type F32Tensor } from '../../src/model/tensor.ts';
import { Fixture, expectClose, itComparesEveryRecordedTensor } from '../support/fixtures.ts';
import { goldenSession } from '../support/golden-device.ts';
import { fixtureConfig, numbers } from '../support/wan.ts';
import { safetensorsWeights } from '../../src/model/weights/reader.ts';
import { SafetensorsFile } from '../../src/model/weights/safetensors.ts';

const fx = new Fixture('causal_stream');
const cfg = fixtureConfig(fx);
const m = fx.manifest as unknown as {
  latent_hw: [number, number];
  num_chunks: number;
  vace_context_scale: number;
  longlive_settings_used: { num_frame_per_block: number; local_attn_size_frames: number; sink_size_frames: number };
};
const [H, W] = m.latent_hw;
const chunkFrames = m.longlive_settings_used.num_frame_per_block;
const steps = numbers(fx, 'input.denoising_step_list');
const variants = fx.tensorNames(/^[a-z_]+\.chunk\.0\.latents$/).map((n) => n.split('.')[0]!);
const C = cfg.in_dim;
const HW = H * W;

/** Record [1, F, C, H, W] → our [C, F, H, W]. */
function fromRecord(key: string): Float32Array {
  return fchwToCfhw(fx.io.getF32(key).data, chunkFrames, C, HW);
}

function asRecord(t: F32Tensor): F32Tensor {
  return f32([1, chunkFrames, C, H, W], cfhwToFchw(t.data, C, chunkFrames, HW));
}

const fixtureNoise: NoiseSource = {
  forChunk(startFrame) {
    const c = startFrame / chunkFrames;
    return {
      initial: () => fromRecord(`input.chunk.${c}.noise`),
      renoise: (s) => fromRecord(`input.chunk.${c}.step.${s}.renoise`),
    };
  },
};

describe('causal_stream', () => {
  it('the fixture records at least one variant and chunk', () => {
    expect(variants.length).toBeGreaterThan(0);
    expect(m.num_chunks).toBeGreaterThan(0);
  });
  for (const variant of variants) {
    describe(`variant ${variant}`, () => {
      const useVace = fx.tensorNames(new RegExp(`^input\\.chunk\\.0\\.vace_context$`)).length > 0 && variant === 'vace';
      let stream: CausalStream;
      let model: WanModel;
      const records = new Map<string, F32Tensor>();
      beforeAll(async () => {
        const weights = safetensorsWeights(new SafetensorsFile(fx.weightsPath()));
        // 'plain' is the bare LongLive model; both VACE-wrapper variants load the VACE graph.
        model = await WanModel.load(cfg, weights, { latentFrames: chunkFrames, latentH: H, latentW: W }, { cache: true, vace: variant !== 'plain' && !!cfg.vace_layers, ...goldenSession() });
        stream = new CausalStream(model, { sinkFrames: m.longlive_settings_used.sink_size_frames, windowFrames: m.longlive_settings_used.local_attn_size_frames, steps });
        const contextEmb = await model.embedText(fx.io.getF32('input.context'));
        for (let c = 0; c < m.num_chunks; c++) {
          const vaceContext = useVace ? fx.io.getF32(`input.chunk.${c}.vace_context`) : undefined;
          await stream.generateChunk({
            contextEmb,
            noise: fixtureNoise.forChunk(stream.startFrame),
            vaceContext,
            contextScale: m.vace_context_scale,
            record: (name, t) => records.set(`${variant}.chunk.${c}.${name}`, t),
          });
        }
      });
      afterAll(async () => model?.release());

      for (let c = 0; c < m.num_chunks; c++) {
        describe(`chunk ${c}`, () => {
          for (let s = 0; s < steps.length; s++) {
            for (const what of ['xt', 'flow', 'x0'] as const) {
              const key = `${variant}.chunk.${c}.step.${s}.${what}`;
              if (fx.tensorNames(new RegExp(`^${key.replace(/\./g, '\\.')}$`)).length === 0) continue;
              it(`step ${s} ${what}`, () => expectClose(fx, key, asRecord(records.get(key)!)));
            }
          }
          it('latents', () => expectClose(fx, `${variant}.chunk.${c}.latents`, asRecord(records.get(`${variant}.chunk.${c}.latents`)!)));
          const cleanKey = `${variant}.chunk.${c}.clean_pass.flow`;
          if (fx.tensorNames(new RegExp(`^${cleanKey.replace(/\./g, '\\.')}$`)).length > 0) {
            it('clean pass flow', () => expectClose(fx, cleanKey, asRecord(records.get(cleanKey)!)));
          }
        });
      }
      for (const key of fx.tensorNames(new RegExp(`^${variant}\\.final_kv_cache\\.block(\\d+)\\.[kv]$`))) {
        it(`final KV cache ${key.slice(variant.length + 1)}`, () => {
          const [, block, kv] = /block(\d+)\.([kv])$/.exec(key)!;
          const buf = kv === 'k' ? stream.kv.k[Number(block)]! : stream.kv.v[Number(block)]!;
          const d = cfg.dim / cfg.num_heads;
          expectClose(fx, key, f32([1, stream.kv.capacity, cfg.num_heads, d], buf));
        });
      }
    });
  }
  itComparesEveryRecordedTensor(fx, [/^input\./]);
});
