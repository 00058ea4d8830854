import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runGraphCommand } from '../../../../src/cli/graph.ts';
import { checkModel } from '../../../../src/model/onnx/check.ts';
import { Graph } from '../../../../src/model/onnx/graph.ts';
import { paramSource } from '../../../../src/model/onnx/params.ts';
import {  } from '../../../../src/model/weights/reader.ts';
import { ModelSession } from '../../../../src/model/runtime/session.ts';
import { buildMainGraph } from '../../../../src/model/wan/graphs.ts';
import { ropeTables, timestepSinusoid } from '../../../../src/model/wan/embeddings.ts';
import { wanParams } from '../../../../src/model/wan/param-spec.ts';
import { presetWanConfig } from '../../../../src/presets/catalog.ts';
import { tokenGrid } from '../../../../src/model/wan/config.ts';
import { randomTensor, randomWeights } from '../../../../src/model/weights/random.ts';
import { f32, i64, type Tensor } from '../../../../src/model/tensor.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vace-live graph (dumped demo-preset model)', () => {
  it('writes a structurally valid model with external data that ORT loads and runs like the in-memory graph', async () => {
    const out = join(dir, 'demo.onnx');
    const r = runGraphCommand(['--preset', 'demo', '--part', 'main', '--seed', '7', '--out', out]);
    expect(r.dataBytes).toBeGreaterThan(0);
    const check = checkModel(readFileSync(out));
    expect(check.external).toBeGreaterThan(0);
    expect(check.nodes).toBe(r.nodes);

    const { config: cfg, latent } = presetWanConfig('demo');
    const shape = { latentFrames: latent.frames, latentH: latent.height, latentW: latent.width };
    const grid = tokenGrid(cfg, latent.frames, latent.height, latent.width);
    const L = grid.frames * grid.height * grid.width;
    const rope = ropeTables(cfg, grid, 3);
    const feeds: Record<string, Tensor> = {
      x: randomTensor(1, 'x', [cfg.in_dim, latent.frames, latent.height, latent.width]),
      t_sin: timestepSinusoid(cfg.freq_dim, [750, 750, 750]),
      context: randomTensor(1, 'ctx', [cfg.text_len, cfg.dim]),
      rope_cos: rope.cos,
      rope_sin: rope.sin,
      hints: randomTensor(1, 'hints', [cfg.vace_layers!.length, L, cfg.dim]),
      context_scale: f32([1], [0.7]),
      fresh_from: i64([1], [0]),
    };
    for (let i = 0; i < cfg.num_layers; i++) {
      feeds[`cache_k.${i}`] = randomTensor(2, `k${i}`, [L, cfg.dim]);
      feeds[`cache_v.${i}`] = randomTensor(2, `v${i}`, [L, cfg.dim]);
    }
    const fromFile = await ModelSession.fromFile(out);
    const inMemory = await ModelSession.fromGraph(buildMainGraph(cfg, shape, (g: Graph) => paramSource(g, randomWeights(wanParams(cfg), 7)), { cache: true, hints: true }));
    const a = (await fromFile.run(feeds)).flow!;
    const b = (await inMemory.run(feeds)).flow!;
    expect(a.shape).toEqual([cfg.out_dim, latent.frames, latent.height, latent.width]);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    expect((a.data as Float32Array).every(Number.isFinite)).toBe(true);
    await fromFile.release();
    await inMemory.release();
  });

  it('the checker rejects a node that reads an undefined value', () => {
    const g = new Graph('broken');
    const x = g.input('x', 'float32', [1]);
    g.output(g.node('Add', [x, new (x.constructor as typeof import('../../../../src/model/onnx/graph.ts').Value)(g, 'nowhere', 'float32', [1])])[0]!, 'y');
    expect(() => checkModel(g.toBytes())).toThrow(/reads "nowhere" before it is defined/);
  });

  it('rejects bad arguments with a clear message', () => {
    expect(() => runGraphCommand(['--preset', 'nope', '--out', join(dir, 'x.onnx')])).toThrow(/unknown model preset "nope" \(known presets: demo, longlive-1\.3b\)/);
    expect(() => runGraphCommand(['--preset', 'demo'])).toThrow(/--out is required/);
    expect(() => runGraphCommand(['--preset', 'demo', '--latent', '3x7', '--out', join(dir, 'y.onnx')])).toThrow(/--latent must look like/);
  });
});

describe('large-model loading', () => {
  it('past the inline limit, a graph over a safetensors file is loaded by path with its weights referenced in place', async () => {
    const { writeSafetensors } = await import('../../../../src/model/weights/safetensors-writer.ts');
    const { SafetensorsFile } = await import('../../../../src/model/weights/safetensors.ts');
    const { safetensorsWeights } = await import('../../../../src/model/weights/reader.ts');
    const { buildTextEmbeddingGraph } = await import('../../../../src/model/wan/graphs.ts');
    const { readdirSync } = await import('node:fs');
    const { config: cfg } = presetWanConfig('demo');
    const sub = mkdtempSync(join(dir, 'large-'));
    const file = join(sub, 'weights.safetensors');
    writeSafetensors(file, [...wanParams(cfg)].map(([name, shape]) => ({ name, dtype: 'F32' as const, shape, data: randomTensor(3, name, shape).data })));
    const reader = safetensorsWeights(new SafetensorsFile(file));
    const build = () => buildTextEmbeddingGraph(cfg, (g: Graph) => paramSource(g, reader));
    const ctx = { context: randomTensor(4, 'ctx', [cfg.text_len, cfg.text_dim]) };
    const byPath = await ModelSession.fromGraph(build(), { inlineLimitBytes: 0 });
    const inline = await ModelSession.fromGraph(build());
    expect(Array.from((await byPath.run(ctx)).context_emb!.data as Float32Array)).toEqual(Array.from((await inline.run(ctx)).context_emb!.data as Float32Array));
    // The temporary model file is gone and no copy of the weights was made.
    expect(readdirSync(sub)).toEqual(['weights.safetensors']);
    await byPath.release();
    await inline.release();
  });
});
