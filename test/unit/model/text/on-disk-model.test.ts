import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUmt5Config } from '../../../../src/model/text/config.ts';
import { Umt5Encoder } from '../../../../src/model/text/encoder.ts';
import { umt5Float32Bytes } from '../../../../src/model/text/on-disk-model.ts';
import { umt5Int8Params, umt5Params } from '../../../../src/model/text/param-spec.ts';
import { f32, i64 } from '../../../../src/model/tensor.ts';
import { dequantizeInt8, quantizeInt8 } from '../../../../src/model/weights/quantize.ts';
import type { WeightReader } from '../../../../src/model/weights/reader.ts';
import { SafetensorsFile } from '../../../../src/model/weights/safetensors.ts';
import { bytesOf, writeSafetensors, writeTorchFile, type SavedValue } from '../../../support/torch-save-writer.ts';
import { writeTinyUmt5 } from '../../../support/tiny-umt5.ts';

const cfg = parseUmt5Config({ vocab_size: 40, dim: 32, dim_attn: 32, dim_ffn: 64, num_heads: 4, encoder_layers: 2, num_buckets: 32, max_dist: 128, text_len: 16 });
const L = 16;
const ids = i64([2, L], Array.from({ length: 2 * L }, (_, j) => (j % L < 9 ? 4 + ((j * 7) % 30) : j % L === 9 ? 1 : 0)));
const mask = i64([2, L], Array.from({ length: 2 * L }, (_, j) => (j % L <= 9 ? 1 : 0)));

describe('Umt5Encoder.open, on-disk path for models too large for memory', () => {
  let dir: string;
  const f32Path = () => join(dir, 'enc.safetensors');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'umt5-disk-'));
    writeTinyUmt5(f32Path(), cfg);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts the float32 bytes of every parameter', () => {
    let n = 0;
    for (const s of umt5Params(cfg).values()) n += s.reduce((a, b) => a * b, 1);
    expect(umt5Float32Bytes(cfg)).toBe(4 * n);
  });

  it('gives the same outputs as the in-memory model and writes weights outside the .onnx', async () => {
    const cacheDir = join(dir, 'cache-a');
    const inMemory = await Umt5Encoder.open(f32Path(), cfg);
    const onDisk = await Umt5Encoder.open(f32Path(), cfg, { cacheDir, inlineWeightLimit: 0 });
    try {
      const a = await inMemory.encode(ids, mask);
      const b = await onDisk.encode(ids, mask);
      expect(Array.from(b.promptEmbeds.data)).toEqual(Array.from(a.promptEmbeds.data));
    } finally {
      await inMemory.release();
      await onDisk.release();
    }
    const [entry] = readdirSync(cacheDir);
    expect(entry).toMatch(/^umt5-[0-9a-f]{16}$/);
    const files = readdirSync(join(cacheDir, entry!)).sort();
    expect(files).toEqual(['model.onnx', 'weights.safetensors']);
    const model = statSync(join(cacheDir, entry!, 'model.onnx')).size;
    expect(model).toBeLessThan(umt5Float32Bytes(cfg) / 4); // only graph + small constants inline
    const converted = new SafetensorsFile(join(cacheDir, entry!, 'weights.safetensors'));
    expect(converted.keys().sort()).toEqual([...umt5Params(cfg).keys()].sort());
    converted.close();

    // A second open reuses the converted files.
    const before = statSync(join(cacheDir, entry!, 'weights.safetensors')).mtimeMs;
    const again = await Umt5Encoder.open(f32Path(), cfg, { cacheDir, inlineWeightLimit: 0 });
    await again.release();
    expect(statSync(join(cacheDir, entry!, 'weights.safetensors')).mtimeMs).toBe(before);
  });

  it('fp16: writes the half-precision variant beside the float32 files and matches the in-memory fp16 model', async () => {
    const cacheDir = join(dir, 'cache-fp16');
    const inMemory = await Umt5Encoder.open(f32Path(), cfg, { dtype: 'fp16' });
    const onDisk = await Umt5Encoder.open(f32Path(), cfg, { cacheDir, inlineWeightLimit: 0, dtype: 'fp16' });
    const full = await Umt5Encoder.open(f32Path(), cfg);
    try {
      const a = await inMemory.encode(ids, mask);
      const b = await onDisk.encode(ids, mask);
      expect(Array.from(b.promptEmbeds.data)).toEqual(Array.from(a.promptEmbeds.data));
      const ref = (await full.encode(ids, mask)).promptEmbeds.data;
      let err = 0;
      let scale = 0;
      ref.forEach((v, i) => ((err = Math.max(err, Math.abs(v - b.promptEmbeds.data[i]!))), (scale = Math.max(scale, Math.abs(v)))));
      expect(err / scale).toBeLessThan(1e-2);
    } finally {
      await Promise.all([inMemory.release(), onDisk.release(), full.release()]);
    }
    const [entry] = readdirSync(cacheDir);
    expect(readdirSync(join(cacheDir, entry!)).sort()).toEqual(['fp16', 'model.onnx', 'weights.safetensors']);
    expect(readdirSync(join(cacheDir, entry!, 'fp16')).sort()).toEqual(['model.onnx', 'model.onnx.data']);
    // Half the float32 bytes, plus the float32 copies the fp32 regions read (norm weights, FFN output, position tables).
    const data = statSync(join(cacheDir, entry!, 'fp16', 'model.onnx.data')).size;
    expect(data).toBeLessThan(umt5Float32Bytes(cfg));
    expect(data).toBeGreaterThan(umt5Float32Bytes(cfg) / 2 - 4096);
  });

  it('converts a bf16 torch .pth (the format Wan ships) to the same result as reading it in memory', async () => {
    const src = new SafetensorsFile(f32Path());
    const root = new Map<string, SavedValue>();
    const storages: Record<string, Uint8Array> = {};
    [...umt5Params(cfg)].forEach(([name, shape], k) => {
      const f = src.getF32(name).data;
      const bf = new Uint16Array(f.length);
      const u32 = new Uint32Array(f.buffer, f.byteOffset, f.length);
      for (let i = 0; i < f.length; i++) bf[i] = u32[i]! >>> 16;
      const stride = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
      root.set(name, { storageType: 'BFloat16Storage', storageKey: String(k), storageNumel: f.length, offset: 0, shape: [...shape], stride });
      storages[String(k)] = bytesOf(bf);
    });
    src.close();
    const pth = join(dir, 'enc-bf16.pth');
    writeTorchFile(pth, root, storages);
    const inMemory = await Umt5Encoder.open(pth, cfg);
    const onDisk = await Umt5Encoder.open(pth, cfg, { cacheDir: join(dir, 'cache-b'), inlineWeightLimit: 0 });
    try {
      const a = await inMemory.encode(ids, mask);
      const b = await onDisk.encode(ids, mask);
      expect(Array.from(b.context.data)).toEqual(Array.from(a.context.data));
    } finally {
      await inMemory.release();
      await onDisk.release();
    }
  });

  it('names the file and the key when a weight is missing or has the wrong shape', async () => {
    const bad = join(dir, 'bad.safetensors');
    writeSafetensors(bad, { 'token_embedding.weight': { dtype: 'F32', shape: [cfg.vocab_size, cfg.dim], data: bytesOf(new Float32Array(cfg.vocab_size * cfg.dim)) } });
    await expect(Umt5Encoder.open(bad, cfg)).rejects.toThrow(/bad\.safetensors: missing UMT5 encoder weight "blocks\.0\.norm1\.weight"/);
    const wrong = join(dir, 'wrong.safetensors');
    writeSafetensors(wrong, { 'token_embedding.weight': { dtype: 'F32', shape: [cfg.vocab_size, 8], data: bytesOf(new Float32Array(cfg.vocab_size * 8)) } });
    await expect(Umt5Encoder.open(wrong, cfg)).rejects.toThrow(/weight "token_embedding\.weight" has shape \[40, 8\], the config needs \[40, 32\]/);
  });
});

describe('Umt5Encoder with int8 weights', () => {
  let dir: string;
  const f32Path = () => join(dir, 'enc.safetensors');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'umt5-int8-'));
    writeTinyUmt5(f32Path(), cfg);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('quantises the embedding and every projection, and nothing else', () => {
    const int8 = umt5Int8Params(cfg);
    expect(int8.has('token_embedding.weight')).toBe(true);
    for (const w of ['attn.q', 'attn.k', 'attn.v', 'attn.o', 'ffn.gate.0', 'ffn.fc1', 'ffn.fc2']) expect(int8.has(`blocks.1.${w}.weight`), w).toBe(true);
    expect(int8.size).toBe(1 + 7 * cfg.encoder_layers);
    for (const k of int8) expect(umt5Params(cfg).get(k)!.length).toBe(2);
  });

  it('computes exactly what the float32 encoder computes on the dequantised weights', async () => {
    // The wiring check: same weights the int8 graph stands for, run through the float32 graph.
    const file = new SafetensorsFile(f32Path());
    const int8 = umt5Int8Params(cfg);
    const dequantised: WeightReader = {
      path: 'dequantised',
      has: (k) => file.has(k),
      shape: (k) => file.entry(k).shape,
      getF32: (k) => (int8.has(k) ? f32(file.entry(k).shape, dequantizeInt8(quantizeInt8(file.getF32(k), 32))) : file.getF32(k)),
    };
    const reference = await Umt5Encoder.load(cfg, dequantised);
    const quantised = await Umt5Encoder.open(f32Path(), cfg, { weights: 'int8', int8Activations: 'float32' });
    const exact = await Umt5Encoder.open(f32Path(), cfg);
    try {
      const want = (await reference.encode(ids, mask)).promptEmbeds.data;
      const got = (await quantised.encode(ids, mask)).promptEmbeds.data;
      const unquantised = (await exact.encode(ids, mask)).promptEmbeds.data;
      let worst = 0;
      let moved = 0;
      for (let i = 0; i < want.length; i++) {
        worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        moved = Math.max(moved, Math.abs(got[i]! - unquantised[i]!));
      }
      expect(worst).toBeLessThan(1e-4);
      expect(moved).toBeGreaterThan(1e-4); // it really is quantised
    } finally {
      file.close();
      await Promise.all([reference.release(), quantised.release(), exact.release()]);
    }
  });

  it('the on-disk int8 cache gives the same outputs as building in memory, stores 8-bit codes and sits beside the float32 cache', async () => {
    const cacheDir = join(dir, 'cache');
    const inMemory = await Umt5Encoder.open(f32Path(), cfg, { weights: 'int8' });
    const onDisk = await Umt5Encoder.open(f32Path(), cfg, { weights: 'int8', cacheDir, inlineWeightLimit: 0 });
    const f32OnDisk = await Umt5Encoder.open(f32Path(), cfg, { cacheDir, inlineWeightLimit: 0 });
    try {
      const a = await inMemory.encode(ids, mask);
      const b = await onDisk.encode(ids, mask);
      expect(Array.from(b.promptEmbeds.data)).toEqual(Array.from(a.promptEmbeds.data));
    } finally {
      await Promise.all([inMemory.release(), onDisk.release(), f32OnDisk.release()]);
    }
    const entries = readdirSync(cacheDir).sort();
    expect(entries).toHaveLength(2);
    const int8Entry = entries.find((e) => e.startsWith('umt5-int8-'))!;
    expect(int8Entry).toMatch(/^umt5-int8-[0-9a-f]{16}$/);
    expect(entries.find((e) => e !== int8Entry)).toMatch(/^umt5-[0-9a-f]{16}$/);
    const converted = new SafetensorsFile(join(cacheDir, int8Entry, 'weights.safetensors'));
    try {
      const int8 = umt5Int8Params(cfg);
      const want = [...umt5Params(cfg).keys()].flatMap((k) => (int8.has(k) ? [`${k}.int8`, `${k}.int8_scales`] : [k]));
      expect(converted.keys().sort()).toEqual(want.sort());
      expect(converted.entry('token_embedding.weight.int8')).toMatchObject({ dtype: 'U8', shape: [cfg.vocab_size, 1, 32] });
      expect(converted.entry('blocks.0.ffn.fc2.weight.int8_scales')).toMatchObject({ dtype: 'F32', shape: [cfg.dim, cfg.dim_ffn / 32] });
      expect(converted.entry('blocks.0.norm1.weight').dtype).toBe('F32');
      // Quantised: 1 byte per weight + a 4-byte scale per 32 (instead of 4 bytes per weight).
      const stored = converted.keys().reduce((n, k) => n + converted.entry(k).byteLength, 0);
      const expected = [...umt5Params(cfg)].reduce((n, [k, [rows, cols = 1]]) => n + (int8.has(k) ? rows! * Math.ceil(cols / 32) * (32 + 4) : rows! * cols * 4), 0);
      expect(stored).toBe(expected);
      expect(stored).toBeLessThan(umt5Float32Bytes(cfg) / 2);
    } finally {
      converted.close();
    }
  });

  it('a block size is part of the cache key, and a bad format or block size is refused', async () => {
    const cacheDir = join(dir, 'cache-bs');
    const enc = await Umt5Encoder.open(f32Path(), cfg, { weights: 'int8', int8BlockSize: 16, cacheDir, inlineWeightLimit: 0 });
    await enc.release();
    const [entry] = readdirSync(cacheDir);
    const converted = new SafetensorsFile(join(cacheDir, entry!, 'weights.safetensors'));
    expect(converted.entry('blocks.0.attn.q.weight.int8').shape).toEqual([cfg.dim_attn, cfg.dim / 16, 16]);
    converted.close();
    await expect(Umt5Encoder.open(f32Path(), cfg, { weights: 'int4' as never })).rejects.toThrow(/weights must be f32 or int8, got "int4"/);
    await expect(Umt5Encoder.open(f32Path(), cfg, { weights: 'int8', int8BlockSize: 20 })).rejects.toThrow(/power of two ≥ 16, got 20/);
  });
});
