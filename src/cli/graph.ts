/**
 * `vace-live graph`: builds one of our model graphs for a config and writes it as a `.onnx`
 * file (with external data) so a person can open what we build in Netron or onnx.checker.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseWanConfig, type WanConfig } from '../model/wan/config.ts';
import { buildHintGraph, buildMainGraph, buildTextEmbeddingGraph, flexAttentionPadding } from '../model/wan/graphs.ts';
import { wanParams } from '../model/wan/param-spec.ts';
import { presetNames, presetWanConfig } from '../presets/catalog.ts';
import { paramSource } from '../model/onnx/params.ts';
import { safetensorsWeights, type WeightReader } from '../model/weights/reader.ts';
import { writeModel } from '../model/onnx/write-model.ts';
import { randomWeights } from '../model/weights/random.ts';
import { SafetensorsFile } from '../model/weights/safetensors.ts';
import type { Graph } from '../model/onnx/graph.ts';

export const GRAPH_USAGE = `usage: vace-live graph [--preset NAME | --config cfg.json] [--part main|hints|text]
                      [--latent FxHxW] [--weights file.safetensors] [--seed N] --out model.onnx
Builds the DiT graph of a preset (default demo; presets: ${presetNames().join(', ')}) or of a
config file and writes model.onnx (+ model.onnx.data). Without --weights, seeded random weights
of the right shapes are used.`;

export interface GraphCommandResult {
  out: string;
  nodes: number;
  weightBytes: number;
  modelBytes: number;
  dataBytes: number;
}

export function loadConfigFile(path: string): { config: WanConfig; latent?: { frames: number; height: number; width: number } } {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot read config ${path}: ${(e as Error).message}`);
  }
  // Accepts a bare config, a fixture manifest ({config}) or a bench config ({model, vace_layers, latent_hw}).
  const body = (raw.model ?? raw.config ?? raw) as Record<string, unknown>;
  const config = parseWanConfig(body, { vace_layers: raw.vace_layers as number[] | undefined, vace_in_dim: raw.vace_in_dim as number | undefined });
  const hw = raw.latent_hw as [number, number] | undefined;
  return { config, latent: hw ? { frames: 3, height: hw[0], width: hw[1] } : undefined };
}

export function runGraphCommand(argv: string[]): GraphCommandResult {
  const { values } = parseArgs({
    args: argv,
    options: {
      preset: { type: 'string' },
      config: { type: 'string' },
      part: { type: 'string', default: 'main' },
      latent: { type: 'string' },
      weights: { type: 'string' },
      seed: { type: 'string', default: '0' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (!values.out) throw new Error(`--out is required\n${GRAPH_USAGE}`);
  const fromFile = values.config ? loadConfigFile(values.config) : undefined;
  const preset = fromFile ? undefined : presetWanConfig(values.preset ?? 'demo');
  const cfg = fromFile?.config ?? preset!.config;
  let latent = fromFile?.latent ?? preset?.latent ?? { frames: 3, height: 8, width: 8 };
  if (values.latent) {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(values.latent);
    if (!m) throw new Error(`--latent must look like 3x40x72 (frames x height x width), got "${values.latent}"`);
    latent = { frames: Number(m[1]), height: Number(m[2]), width: Number(m[3]) };
  }
  const weights: WeightReader = values.weights ? safetensorsWeights(new SafetensorsFile(values.weights)) : randomWeights(wanParams(cfg), Number(values.seed));
  const p = (g: Graph) => paramSource(g, weights);
  const shape = { latentFrames: latent.frames, latentH: latent.height, latentW: latent.width };
  let graph: Graph;
  switch (values.part) {
    case 'main':
      graph = buildMainGraph(cfg, shape, p, { cache: true, hints: !!cfg.vace_layers?.length });
      break;
    case 'hints': {
      const [pt, ph, pw] = cfg.patch_size;
      const tokens = (latent.frames / pt) * (latent.height / ph) * (latent.width / pw);
      graph = buildHintGraph(cfg, shape, p, { zeroKeys: flexAttentionPadding(tokens) });
      break;
    }
    case 'text':
      graph = buildTextEmbeddingGraph(cfg, p);
      break;
    default:
      throw new Error(`--part must be main, hints or text, got "${values.part}"`);
  }
  const written = writeModel(graph, values.out);
  return { out: values.out, nodes: graph.nodeCount, weightBytes: graph.weightBytes, ...written };
}
