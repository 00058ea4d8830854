/**
 * Video-Depth-Anything configuration: the DINOv2 backbone and temporal DPT head sizes that the
 * weights do not tell by themselves (head counts, tapped layers), plus the pre-processing size.
 * Widths are read from the weights; see `inferDepthConfig`.
 */
import type { WeightReader } from '../weights/reader.ts';

export interface DepthConfig {
  /** ViT token width (384 for ViT-S). */
  readonly embedDim: number;
  /** ViT attention heads (6 for ViT-S). */
  readonly numHeads: number;
  /** ViT blocks (12). */
  readonly depth: number;
  /** Blocks whose outputs feed the DPT head ([2, 5, 8, 11] for ViT-S). */
  readonly layers: readonly number[];
  readonly patchSize: number;
  /** Side of the stored square position-embedding grid (37 = 518 / 14). */
  readonly posGrid: number;
  /** DINOv2 interpolate_offset. */
  readonly interpolateOffset: number;
  /** Fusion width of the DPT head (64 for Small). */
  readonly features: number;
  /** Per-level projection widths ([48, 96, 192, 384] for Small). */
  readonly outChannels: readonly number[];
  /** Motion-module attention heads and GroupNorm groups. */
  readonly motionHeads: number;
  readonly motionGroups: number;
  /** Length of the stored sinusoidal temporal table (num_frames, 32). */
  readonly temporalMaxLen: number;
  /** Pre-processing target size (518 upstream). */
  readonly inputSize: number;
}

/** The released Video-Depth-Anything-Small (`video_depth_anything_vits.pth`). */
export const VDA_SMALL: DepthConfig = {
  embedDim: 384,
  numHeads: 6,
  depth: 12,
  layers: [2, 5, 8, 11],
  patchSize: 14,
  posGrid: 37,
  interpolateOffset: 0.1,
  features: 64,
  outChannels: [48, 96, 192, 384],
  motionHeads: 8,
  motionGroups: 32,
  temporalMaxLen: 32,
  inputSize: 518,
};

function num(obj: Record<string, unknown>, key: string, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: field "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function nums(obj: Record<string, unknown>, key: string, where: string): number[] {
  const v = obj[key];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw new Error(`${where}: field "${key}" must be a list of numbers, got ${JSON.stringify(v)}`);
  return v as number[];
}

/** Reads a config in the fixture manifests' vocabulary (scope's constructor arguments). */
export function parseDepthConfig(raw: unknown, where = 'depth config'): DepthConfig {
  if (!raw || typeof raw !== 'object') throw new Error(`${where}: not an object`);
  const o = raw as Record<string, unknown>;
  const motion = (o.motion_module ?? {}) as Record<string, unknown>;
  return {
    embedDim: num(o, 'embed_dim', where),
    numHeads: num(o, 'num_heads', where),
    depth: num(o, 'dinov2_depth', where),
    layers: nums(o, 'intermediate_layer_idx', where),
    patchSize: num(o, 'patch_size', where),
    posGrid: num(o, 'pos_grid', where),
    interpolateOffset: typeof o.interpolate_offset === 'number' ? o.interpolate_offset : 0.1,
    features: num(o, 'features', where),
    outChannels: nums(o, 'out_channels', where),
    motionHeads: typeof motion.heads === 'number' ? motion.heads : 8,
    motionGroups: typeof motion.groupnorm_groups === 'number' ? motion.groupnorm_groups : 32,
    temporalMaxLen: num(o, 'num_frames(temporal_max_len)', where),
    inputSize: num(o, 'pipeline_input_size', where),
  };
}

/** Checks that a checkpoint has the shapes a config promises (a clear error instead of a wiring failure deep in the graph). */
export function checkDepthWeights(cfg: DepthConfig, w: WeightReader): void {
  const expect = (key: string, shape: readonly number[]) => {
    if (!w.has(key)) throw new Error(`${w.path}: missing weight "${key}" (not a Video-Depth-Anything checkpoint?)`);
    const got = w.shape(key);
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new Error(`${w.path}: weight "${key}" has shape [${got.join(', ')}], the config expects [${shape.join(', ')}]`);
    }
  };
  const E = cfg.embedDim;
  expect('pretrained.cls_token', [1, 1, E]);
  expect('pretrained.pos_embed', [1, 1 + cfg.posGrid * cfg.posGrid, E]);
  expect('pretrained.patch_embed.proj.weight', [E, 3, cfg.patchSize, cfg.patchSize]);
  expect(`pretrained.blocks.${cfg.depth - 1}.attn.qkv.weight`, [3 * E, E]);
  cfg.outChannels.forEach((oc, i) => expect(`head.projects.${i}.weight`, [oc, E, 1, 1]));
  expect('head.scratch.layer1_rn.weight', [cfg.features, cfg.outChannels[0]!, 3, 3]);
  if (E % cfg.numHeads !== 0) throw new Error(`depth config: embed_dim ${E} is not divisible by ${cfg.numHeads} heads`);
}
