/**
 * The longlive-1.3b loader on a tiny config laid out and named like the real checkpoints:
 * nested bf16 generator .pt, PEFT LoRA .pt, bf16 VACE safetensors, taew2_1-style .pth,
 * UMT5 safetensors and tokenizer.json. It converts, merges the LoRA and runs one chunk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allocRgbFrames } from '../../../src/frames.ts';
import { umt5Params } from '../../../src/model/text/param-spec.ts';
import { taeWeightShapes } from '../../../src/model/tae/layout.ts';
import { wanBaseParams, wanVaceParams } from '../../../src/model/wan/param-spec.ts';
import { randomTensor } from '../../../src/model/weights/random.ts';
import { SafetensorsFile } from '../../../src/model/weights/safetensors.ts';
import { convertLongLiveDit, loadLongLiveBundle, type LongLiveConfig, type LongLiveFiles } from '../../../src/presets/longlive.ts';
import { demoConfig } from '../../../src/presets/demo.ts';
import { demoTokenizerJson } from '../../../src/presets/demo-tokenizer.ts';
import { bytesOf, writeSafetensors, writeTorchFile, type SavedValue } from '../../support/torch-save-writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-longlive-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const demo = demoConfig();
const cfg: LongLiveConfig = { ...demo, loraScale: 1 };
const RANK = 4;

function bf16(a: Float32Array): Uint16Array {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  return Uint16Array.from(u, (x) => x >>> 16);
}

function torchFile(path: string, tensors: Map<string, { shape: readonly number[]; bytes: Uint8Array; storage: string }>, wrap: (m: Map<string, SavedValue>) => SavedValue): void {
  const dict = new Map<string, SavedValue>();
  const storages: Record<string, Uint8Array> = {};
  let k = 0;
  for (const [name, t] of tensors) {
    const key = String(k++);
    storages[key] = t.bytes;
    const stride = t.shape.map((_, i) => t.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const numel = t.shape.reduce((a, b) => a * b, 1);
    dict.set(name, { storageType: t.storage, storageKey: key, storageNumel: numel, offset: 0, shape: [...t.shape], stride });
  }
  writeTorchFile(path, wrap(dict), storages);
}

function layout(): LongLiveFiles {
  const root = join(dir, 'models');
  const files: LongLiveFiles = {
    generator: join(root, 'LongLive-1.3B/models/longlive_base.pt'),
    lora: join(root, 'LongLive-1.3B/models/lora.pt'),
    vace: join(root, 'WanVideo_comfy/Wan2_1-VACE_module_1_3B_bf16.safetensors'),
    tae: join(root, 'Autoencoders/taew2_1.pth'),
    textEncoder: join(root, 'WanVideo_comfy/umt5-xxl-enc-bf16.safetensors'),
    tokenizer: join(root, 'Wan2.1-T2V-1.3B/google/umt5-xxl'),
  };
  for (const p of Object.values(files)) mkdirSync(join(p!, '..'), { recursive: true });
  mkdirSync(files.tokenizer, { recursive: true });
  // Generator: {generator: {model.<key>: bf16}, step: 1234}
  const gen = new Map<string, { shape: readonly number[]; bytes: Uint8Array; storage: string }>();
  for (const [name, shape] of wanBaseParams(cfg.wan)) gen.set(`model.${name}`, { shape, bytes: bytesOf(bf16(randomTensor(1, name, shape).data)), storage: 'BFloat16Storage' });
  torchFile(files.generator, gen, (m) => new Map<string, SavedValue>([['generator', m], ['step', 1234]]));
  // LoRA on every Linear of the main blocks' attention (PEFT names, generator_lora wrapper).
  const lora = new Map<string, { shape: readonly number[]; bytes: Uint8Array; storage: string }>();
  for (let i = 0; i < cfg.wan.num_layers; i++) {
    for (const m of ['self_attn.q', 'self_attn.k', 'cross_attn.o', 'ffn.0']) {
      const w = wanBaseParams(cfg.wan).get(`blocks.${i}.${m}.weight`)!;
      const a = `base_model.model.blocks.${i}.${m}.lora_A.weight`;
      const b = `base_model.model.blocks.${i}.${m}.lora_B.weight`;
      lora.set(a, { shape: [RANK, w[1]!], bytes: bytesOf(randomTensor(2, a, [RANK, w[1]!]).data), storage: 'FloatStorage' });
      lora.set(b, { shape: [w[0]!, RANK], bytes: bytesOf(randomTensor(2, b, [w[0]!, RANK]).data), storage: 'FloatStorage' });
    }
  }
  torchFile(files.lora!, lora, (m) => new Map<string, SavedValue>([['generator_lora', m]]));
  const st = (spec: ReadonlyMap<string, readonly number[]>, seed: number, dtype: 'BF16' | 'F32') =>
    Object.fromEntries([...spec].map(([name, shape]) => {
      const v = randomTensor(seed, name, shape).data;
      return [name, { dtype, shape: [...shape], data: dtype === 'BF16' ? bytesOf(bf16(v)) : bytesOf(v) }];
    }));
  writeSafetensors(files.vace, st(wanVaceParams(cfg.wan), 3, 'BF16'));
  const tae = new Map<string, { shape: readonly number[]; bytes: Uint8Array; storage: string }>();
  for (const [name, shape] of taeWeightShapes(cfg.tae)) tae.set(name, { shape, bytes: bytesOf(randomTensor(4, name, shape).data), storage: 'FloatStorage' });
  torchFile(files.tae, tae, (m) => m);
  writeSafetensors(files.textEncoder, st(umt5Params(cfg.umt5), 5, 'F32'));
  writeFileSync(join(files.tokenizer, 'tokenizer.json'), JSON.stringify(demoTokenizerJson()));
  return files;
}

describe('longlive-1.3b loader (tiny config, real file layout)', () => {
  const files = layout();

  it('converts bf16 + LoRA to f32 once, with W + B·A on adapted weights and exact bf16 widening elsewhere', async () => {
    const cache = join(dir, 'converted');
    const out = await convertLongLiveDit(files, cfg, cache);
    expect(await convertLongLiveDit(files, cfg, cache)).toBe(out); // cached
    const merged = new SafetensorsFile(out);
    const name = 'blocks.1.self_attn.q.weight';
    const [o, i] = wanBaseParams(cfg.wan).get(name)!;
    const w = new Float32Array(new Uint32Array(bf16(randomTensor(1, name, [o!, i!]).data)).map((x) => x << 16).buffer);
    const a = randomTensor(2, `base_model.model.blocks.1.self_attn.q.lora_A.weight`, [RANK, i!]).data;
    const b = randomTensor(2, `base_model.model.blocks.1.self_attn.q.lora_B.weight`, [o!, RANK]).data;
    const got = merged.getF32(name).data;
    for (const [r, c] of [[0, 0], [3, 17], [o! - 1, i! - 1]] as const) {
      let ba = 0;
      for (let k = 0; k < RANK; k++) ba += b[r * RANK + k]! * a[k * i! + c]!;
      expect(got[r * i! + c]).toBeCloseTo(w[r * i! + c]! + ba, 5);
    }
    const plainName = 'blocks.0.self_attn.v.weight';
    const plain = randomTensor(1, plainName, wanBaseParams(cfg.wan).get(plainName)!).data;
    expect(Array.from(merged.getF32(plainName).data)).toEqual(Array.from(new Float32Array(new Uint32Array(bf16(plain)).map((x) => x << 16).buffer)));
    expect(merged.has('vace_blocks.0.before_proj.weight')).toBe(true);
    merged.close();
  });

  it('loads every part and generates a chunk', async () => {
    const bundle = await loadLongLiveBundle(files, { modelsDir: dir, config: cfg });
    try {
      const g = bundle.createGenerator();
      const frames = allocRgbFrames(bundle.width, bundle.height, g.framesForNextChunk());
      const out = await g.generate({ frames, control: { frames }, params: { prompt: 'a cat', seed: 1, contextScale: 1 } });
      expect([out.count, out.width, out.height]).toEqual([9, bundle.width, bundle.height]);
    } finally {
      await bundle.release();
    }
  });

  it('names the missing file and how to get it', async () => {
    await expect(loadLongLiveBundle({ ...files, vace: join(dir, 'nope.safetensors') }, { modelsDir: dir, config: cfg })).rejects.toThrow(/VACE module not found: .*nope\.safetensors — download the preset with `vace-live models download longlive-1.3b`/);
  });
});
