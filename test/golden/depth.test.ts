import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDepthConfig } from '../../src/model/depth/config.ts';
import { DepthModel, depthClipForward, type DepthFrameResult } from '../../src/model/depth/model.ts';
import { interpolatePosEmbed } from '../../src/model/depth/pos-embed.ts';
import { depthNetInput, depthNetSize } from '../../src/model/depth/preprocess.ts';
import { depthRange, depthToFrameSize, normaliseDepth, repeatToRgb } from '../../src/model/depth/postprocess.ts';
import { DepthControl } from '../../controls/depth.ts';
import { depthWeightShapes } from '../../src/model/depth/weight-shapes.ts';
import { unitToU8Truncated } from '../../src/model/depth/postprocess.ts';
import { safetensorsWeights } from '../../src/model/weights/reader.ts';
import { f32, type F32Tensor } from '../../src/model/tensor.ts';
import { SafetensorsFile } from '../../src/model/weights/safetensors.ts';
import { mergedTolerance, u8Frames } from '../support/annotators.ts';
import { Fixture, expectClose as expectCloseWith, itComparesEveryRecordedTensor } from '../support/fixtures.ts';
import { goldenSession } from '../support/golden-device.ts';

const fx = new Fixture('depth');
const raw = fx.manifest.config as Record<string, number>;
const cfg = parseDepthConfig(fx.manifest.config, `${fx.name}/manifest.json config`);
const weights = safetensorsWeights(new SafetensorsFile(fx.weightsPath()));

const expectClose = (f: Fixture, key: string, got: Parameters<typeof expectCloseWith>[2]) => expectCloseWith(f, key, got, mergedTolerance(f, key));

describe('depth', () => {
  const frames = u8Frames(fx, 'input.frames_u8');
  const [netH, netW] = depthNetSize(frames.height, frames.width, cfg.inputSize);
  let model: DepthModel;
  let input: F32Tensor;
  let stream: F32Tensor;
  const perFrame: DepthFrameResult[] = [];

  beforeAll(async () => {
    input = depthNetInput(frames, netH, netW);
    model = await DepthModel.load(cfg, weights, netH, netW, { debug: true, ...goldenSession() });
    stream = await model.streamCall(input, (_, r) => perFrame.push(r));
  });
  afterAll(async () => model?.release());

  it('net size follows the upstream rounding', () => {
    expect([netH, netW]).toEqual([raw.net_h, raw.net_w]);
  });
  it('input.net_input (bicubic resize, mean/std)', () => expectClose(fx, 'input.net_input', input));
  it('dino.pos_embed_interp', () => {
    const table = weights.getF32('pretrained.pos_embed');
    expectClose(fx, 'dino.pos_embed_interp', interpolatePosEmbed(table, cfg.posGrid, netH / cfg.patchSize, netW / cfg.patchSize, cfg.interpolateOffset));
  });
  for (const [i] of cfg.layers.entries()) {
    it(`dino.frame0.layer${i}.patch`, () => expectClose(fx, `dino.frame0.layer${i}.patch`, perFrame[0]!.debug[`dino.layer${i}.patch`]!));
    it(`dino.frame0.layer${i}.cls`, () => expectClose(fx, `dino.frame0.layer${i}.cls`, perFrame[0]!.debug[`dino.layer${i}.cls`]!));
  }
  for (const key of fx.tensorNames(/^stream\.cache_after_frame0\.\d+$/)) {
    it(key, () => {
      const k = Number(key.split('.').pop());
      expectClose(fx, key, perFrame[0]!.cache[k]!);
    });
  }
  it('stream.depth_net (one frame at a time with the 1-frame cache)', () => expectClose(fx, 'stream.depth_net', stream));
  it('stream.depth_frame (bilinear align_corners=True to the frame size)', () =>
    expectClose(fx, 'stream.depth_frame', depthToFrameSize(stream, frames.height, frames.width)));
  it('output.video (normalised over the call, RGB)', () => {
    const d = depthToFrameSize(stream, frames.height, frames.width);
    const video = repeatToRgb(normaliseDepth(d.data, depthRange(d.data)));
    expectClose(fx, 'output.video', f32([frames.count, frames.height, frames.width, 3], video));
  });
  it('the weights have exactly the state-dict keys and shapes of the config (strict load)', () => {
    const want = Object.fromEntries(depthWeightShapes(cfg));
    const got = Object.fromEntries(Object.entries(fx.manifest.weights as Record<string, { shape: number[] }>).map(([k, v]) => [k, v.shape]));
    expect(got).toEqual(want);
  });
  it('the depth control (upstream normalisation, one call per chunk) gives output.video as uint8', async () => {
    const control = new DepthControl({ weights, config: cfg, stabilise: false, framesPerCall: frames.count });
    const out = await control.process(frames);
    await control.dispose();
    const ref = fx.io.getF32('output.video');
    // Every byte within one level of the truncated reference, nearly all exact (only values within
    // float tolerance of a k/255 boundary may differ).
    const truncated = unitToU8Truncated(ref.data);
    let off = 0;
    let worst = 0;
    for (let i = 0; i < truncated.length; i++) {
      const d = Math.abs(truncated[i]! - out.frames.data[i]!);
      worst = Math.max(worst, d);
      if (d !== 0) off++;
    }
    expect(worst, 'largest byte difference').toBeLessThanOrEqual(1);
    expect(off / truncated.length, `${off} of ${truncated.length} bytes differ`).toBeLessThan(0.01);
  });
  it('batch.depth_net (all frames at once, temporal attention across them)', async () => {
    expectClose(fx, 'batch.depth_net', await depthClipForward(cfg, weights, input, goldenSession()));
  });
  itComparesEveryRecordedTensor(fx, [/^input\./]);
});
