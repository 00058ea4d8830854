/**
 * TAEHV encoder and decoder as ONNX graphs, one run per call: every frame of a call is
 * processed in parallel (batch = time) and every MemBlock's state is an explicit graph
 * input (`mem_in.k`, the block's input one step before this call's first frame) and output
 * (`mem_out.k`, the block's input at this call's last frame). The state lives in our code
 * (state.ts), never inside ORT. Time and space are symbolic, so one session serves every
 * chunk length and resolution.
 *
 * Layouts are ours (channel-first, no batch): pixels [3, F, H, W] in [−1, 1], latents
 * [C_lat, T, H/8, W/8]. Inside, frames are the batch axis: [F, C, H, W].
 *
 * No fp32 regions (graph.fp32Region): TAEHV is convolutions, ReLUs, a tanh clamp and nearest
 * upsampling — no norms, softmax or long element-wise sums whose range half precision would break.
 */
import type { Graph, Value } from '../onnx/graph.ts';
import type { ParamSource } from '../onnx/nn.ts';
import { clip, concat, conv, gather, relu, reshape, slice, sliceFrom, tanh, transpose } from '../onnx/ops.ts';
import { WAN_VAE_LATENT_MEAN, WAN_VAE_LATENT_STD, type TaeConfig, type TaeVariant } from './config.ts';
import { taeLayout, type TaeModule } from './layout.ts';

/** Past the end of any axis (Slice clamps). */
const TO_END = Number.MAX_SAFE_INTEGER;

export interface TaeGraphOptions {
  variant?: TaeVariant;
  /** Decoder only: also output `raw`, the decoder network's output before clamp and trim. */
  debugRaw?: boolean;
}

/** Nearest-neighbour upsample of the two spatial axes: out[y, x] = in[⌊y/s⌋, ⌊x/s⌋] (nn.Upsample nearest). */
function upsampleNearest(x: Value, scale: number): Value {
  const shape = x.shape?.map((d, i) => (i < 2 ? d : typeof d === 'number' ? d * scale : null));
  const attrs = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
  return x.graph.node('Resize', [x, null, x.graph.constant([1, 1, scale, scale], 'float32')], attrs, { outShapes: [shape] })[0]!;
}

/**
 * Element-wise op whose output has `a`'s shape (`b` broadcasts into it). ops.ts's
 * broadcastShapes reads unknown (null) dims as 1, which breaks the symbolic-size graphs here,
 * so these few ops state their shape themselves.
 */
function elementwise(op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Value, b: Value | number): Value {
  const bv = typeof b === 'number' ? a.graph.constant(b, a.dtype) : b;
  return a.graph.node(op, [a, bv], {}, { outShapes: [a.shape] })[0]!;
}

const conv3 = (x: Value, p: ParamSource, prefix: string, stride: number, bias: boolean) =>
  conv(x, p(`${prefix}.weight`), bias ? p(`${prefix}.bias`) : undefined, { strides: [stride, stride], pads: [1, 1, 1, 1] });

/**
 * MemBlock on x [T, C, h, w]: past = [state, x[0:T−1]] along time (each frame sees its
 * predecessor, the first one the state), out = ReLU(conv4(ReLU(conv2(ReLU(conv0([x, past]))))) + x).
 * The new state is x[T−1] — the block's INPUT, as upstream caches it.
 */
function memBlock(x: Value, state: Value, p: ParamSource, prefix: string): { y: Value; next: Value } {
  const past = concat([state, slice(x, [0], [-1], [0])], 0);
  let h = relu(conv3(concat([x, past], 1), p, `${prefix}.conv.0`, 1, true));
  h = relu(conv3(h, p, `${prefix}.conv.2`, 1, true));
  h = conv3(h, p, `${prefix}.conv.4`, 1, true);
  return { y: relu(elementwise('Add', h, x)), next: slice(x, [-1], [TO_END], [0]) };
}

function applyModules(g: Graph, mods: readonly TaeModule[], prefix: string, x0: Value, p: ParamSource, stateName: (slot: number) => string): Value {
  let x = x0;
  for (const m of mods) {
    const name = `${prefix}.${m.index}`;
    x = g.scope(name, () => {
      switch (m.kind) {
        case 'conv':
          return conv3(x, p, name, m.stride, m.bias);
        case 'relu':
          return relu(x);
        case 'clamp':
          // _Clamp: tanh(x / 3) · 3 (decoder input; keeps latents in (−3, 3)).
          return elementwise('Mul', tanh(elementwise('Div', x, 3)), 3);
        case 'tpool': {
          // Group s consecutive frames along channels (earliest first), then mix with a 1×1 conv.
          const grouped = m.stride === 1 ? x : reshape(x, [-1, m.stride * m.channels, 0, 0]);
          return conv(grouped, p(`${name}.conv.weight`), undefined);
        }
        case 'tgrow': {
          // 1×1 conv to s·C channels, then frame t becomes frames t·s … t·s+s−1.
          const grown = conv(x, p(`${name}.conv.weight`), undefined);
          return m.stride === 1 ? grown : reshape(grown, [-1, m.channels, 0, 0]);
        }
        case 'upsample':
          return m.scale === 1 ? x : upsampleNearest(x, m.scale);
        case 'mem': {
          const state = g.input(`mem_in.${m.slot}`, 'float32', [1, m.channels, `mem${m.slot}_h`, `mem${m.slot}_w`]);
          const { y, next } = memBlock(x, state, p, name);
          g.output(next, stateName(m.slot));
          return y;
        }
      }
    });
  }
  return x;
}

function latentStats(g: Graph, cfg: TaeConfig): { mean: Value; std: Value } {
  const c = cfg.latent_channels;
  if (WAN_VAE_LATENT_MEAN.length !== c) throw new Error(`lighttae needs ${WAN_VAE_LATENT_MEAN.length} latent channels (Wan VAE statistics), the config has ${c}`);
  return { mean: g.constant(WAN_VAE_LATENT_MEAN, 'float32', [1, c, 1, 1]), std: g.constant(WAN_VAE_LATENT_STD, 'float32', [1, c, 1, 1]) };
}

/**
 * Encoder graph. Inputs: `frames` [3, F, H, W] in [−1, 1]; `frame_index` int64 [Fp], the
 * frames to feed in order — the runner passes 0…F−1 followed by copies of F−1, which is how
 * each call is padded to a multiple of the temporal stride (runner.ts); `mem_in.k`.
 * Outputs: `latents` [C_lat, Fp/4, H/8, W/8]; `mem_out.k`.
 */
export function buildEncoderGraph(g: Graph, cfg: TaeConfig, p: ParamSource, opts: TaeGraphOptions = {}): Graph {
  const layout = taeLayout(cfg);
  const frames = g.input('frames', 'float32', [cfg.image_channels, 'F', 'H', 'W']);
  const index = g.input('frame_index', 'int64', ['Fp']);
  // [3, Fp, H, W] → [Fp, 3, H, W], then scope's (x + 1) / 2 into the [0, 1] range TAEHV expects.
  const padded = transpose(gather(frames, index, 1), [1, 0, 2, 3]);
  const x = elementwise('Mul', elementwise('Add', padded, 1), 0.5);
  let z = applyModules(g, layout.encoder, 'encoder', x, p, (k) => `mem_out.${k}`);
  if (opts.variant === 'lighttae') {
    const { mean, std } = latentStats(g, cfg);
    z = elementwise('Div', elementwise('Sub', z, mean), std);
  }
  g.output(transpose(z, [1, 0, 2, 3]), 'latents');
  return g;
}

/**
 * Decoder graph. Inputs: `latents` [C_lat, T, h, w]; `skip` int64 [1], leading frames to drop
 * (the runner's trim rule); `mem_in.k`. Outputs: `frames` [3, 4T − skip, 8h, 8w] in [−1, 1];
 * `mem_out.k`; with `debugRaw`, `raw` [4T, 3, 8h, 8w] before any clamp.
 */
export function buildDecoderGraph(g: Graph, cfg: TaeConfig, p: ParamSource, opts: TaeGraphOptions = {}): Graph {
  const layout = taeLayout(cfg);
  const latents = g.input('latents', 'float32', [cfg.latent_channels, 'T', 'h', 'w']);
  const skip = g.input('skip', 'int64', [1]);
  let z = transpose(latents, [1, 0, 2, 3]);
  if (opts.variant === 'lighttae') {
    const { mean, std } = latentStats(g, cfg);
    z = elementwise('Add', elementwise('Mul', z, std), mean);
  }
  const raw = applyModules(g, layout.decoder, 'decoder', z, p, (k) => `mem_out.${k}`);
  if (opts.debugRaw) g.output(raw, 'raw');
  // decode_video / stream_decode: clamp to [0, 1] first, then drop the leading frames.
  const trimmed = sliceFrom(clip(raw, 0, 1), skip, TO_END, 0);
  // TAEWrapper.decode_to_pixel: x·2 − 1, clamped to [−1, 1].
  const pixels = clip(elementwise('Sub', elementwise('Mul', trimmed, 2), 1), -1, 1);
  g.output(transpose(pixels, [1, 0, 2, 3]), 'frames');
  return g;
}
