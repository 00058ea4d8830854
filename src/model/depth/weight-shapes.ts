/**
 * Every tensor of a Video-Depth-Anything state dict for a config, with its shape: what a strict
 * load expects. Used to check a checkpoint before building graphs and to make random weights of
 * the real sizes (benchmarks, tests).
 */
import type { DepthConfig } from './config.ts';
import { ATTENTION_BLOCKS } from './motion-module.ts';

export function depthWeightShapes(cfg: DepthConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const E = cfg.embedDim;
  const F = cfg.features;
  const oc = cfg.outChannels;
  const grid = cfg.posGrid;
  const P = 'pretrained';
  m.set(`${P}.cls_token`, [1, 1, E]);
  m.set(`${P}.pos_embed`, [1, 1 + grid * grid, E]);
  m.set(`${P}.mask_token`, [1, E]);
  m.set(`${P}.patch_embed.proj.weight`, [E, 3, cfg.patchSize, cfg.patchSize]);
  m.set(`${P}.patch_embed.proj.bias`, [E]);
  const mlp = 4 * E;
  for (let i = 0; i < cfg.depth; i++) {
    const b = `${P}.blocks.${i}`;
    const linear = (name: string, out: number, inp: number) => {
      m.set(`${b}.${name}.weight`, [out, inp]);
      m.set(`${b}.${name}.bias`, [out]);
    };
    m.set(`${b}.norm1.weight`, [E]);
    m.set(`${b}.norm1.bias`, [E]);
    linear('attn.qkv', 3 * E, E);
    linear('attn.proj', E, E);
    m.set(`${b}.ls1.gamma`, [E]);
    m.set(`${b}.norm2.weight`, [E]);
    m.set(`${b}.norm2.bias`, [E]);
    linear('mlp.fc1', mlp, E);
    linear('mlp.fc2', E, mlp);
    m.set(`${b}.ls2.gamma`, [E]);
  }
  m.set(`${P}.norm.weight`, [E]);
  m.set(`${P}.norm.bias`, [E]);
  const H = 'head';
  const convW = (key: string, o: number, i: number, k: number, bias = true) => {
    m.set(`${key}.weight`, [o, i, k, k]);
    if (bias) m.set(`${key}.bias`, [o]);
  };
  oc.forEach((c, i) => convW(`${H}.projects.${i}`, c, E, 1));
  m.set(`${H}.resize_layers.0.weight`, [oc[0]!, oc[0]!, 4, 4]);
  m.set(`${H}.resize_layers.0.bias`, [oc[0]!]);
  m.set(`${H}.resize_layers.1.weight`, [oc[1]!, oc[1]!, 2, 2]);
  m.set(`${H}.resize_layers.1.bias`, [oc[1]!]);
  convW(`${H}.resize_layers.3`, oc[3]!, oc[3]!, 3);
  oc.forEach((c, i) => convW(`${H}.scratch.layer${i + 1}_rn`, F, c, 3, false));
  for (let r = 1; r <= 4; r++) {
    const rn = `${H}.scratch.refinenet${r}`;
    convW(`${rn}.out_conv`, F, F, 1);
    for (const u of [1, 2]) for (const c of [1, 2]) convW(`${rn}.resConfUnit${u}.conv${c}`, F, F, 3);
  }
  convW(`${H}.scratch.output_conv1`, F / 2, F, 3);
  convW(`${H}.scratch.output_conv2.0`, 32, F / 2, 3);
  convW(`${H}.scratch.output_conv2.2`, 1, 32, 1);
  const moduleWidths = [oc[2]!, oc[3]!, F, F];
  moduleWidths.forEach((C, mi) => {
    const t = `${H}.motion_modules.${mi}.temporal_transformer`;
    const tb = `${t}.transformer_blocks.0`;
    const vec = (key: string) => m.set(key, [C]);
    vec(`${t}.norm.weight`);
    vec(`${t}.norm.bias`);
    m.set(`${t}.proj_in.weight`, [C, C]);
    vec(`${t}.proj_in.bias`);
    for (let k = 0; k < ATTENTION_BLOCKS; k++) {
      const a = `${tb}.attention_blocks.${k}`;
      for (const q of ['to_q', 'to_k', 'to_v']) m.set(`${a}.${q}.weight`, [C, C]);
      m.set(`${a}.to_out.0.weight`, [C, C]);
      vec(`${a}.to_out.0.bias`);
      m.set(`${a}.pos_encoder.pe`, [1, cfg.temporalMaxLen, C]);
    }
    for (let k = 0; k < ATTENTION_BLOCKS; k++) {
      vec(`${tb}.norms.${k}.weight`);
      vec(`${tb}.norms.${k}.bias`);
    }
    m.set(`${tb}.ff.net.0.proj.weight`, [8 * C, C]);
    m.set(`${tb}.ff.net.0.proj.bias`, [8 * C]);
    m.set(`${tb}.ff.net.2.weight`, [C, 4 * C]);
    vec(`${tb}.ff.net.2.bias`);
    vec(`${tb}.ff_norm.weight`);
    vec(`${tb}.ff_norm.bias`);
    m.set(`${t}.proj_out.weight`, [C, C]);
    vec(`${t}.proj_out.bias`);
  });
  return m;
}
