import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flexAttentionPadding } from '../../src/model/wan/graphs.ts';
import { WanModel } from '../../src/model/wan/model.ts';
import { tokenGrid } from '../../src/model/wan/config.ts';
import { FlowMatchScheduler } from '../../src/pipeline/scheduler.ts';
import { f32, type F32Tensor } from '../../src/model/tensor.ts';
import { Fixture, expectClose, itComparesEveryRecordedTensor } from '../support/fixtures.ts';
import { goldenSession } from '../support/golden-device.ts';
import { fixtureConfig, fixtureWeights, numbers, tokensToConvLayout, withBatch } from '../support/wan.ts';

const fx = new Fixture('vace');
const cfg = fixtureConfig(fx);
const x = fx.io.getF32('input.x');
const [, F, H, W] = x.shape as number[];
const shape = { latentFrames: F!, latentH: H!, latentW: W! };
const grid = tokenGrid(cfg, F!, H!, W!);
const t = numbers(fx, 'input.t')[0]!;
const times = new Array<number>(grid.frames).fill(t);
const vaceContext = fx.io.getF32('input.vace_context');
// Scales recorded as output.<form>.y_scale<s>.
const scales = (form: string) => fx.tensorNames(new RegExp(`^output\\.${form}\\.y_scale`)).map((n) => Number(n.split('y_scale')[1]));

describe('vace', () => {
  describe('non-causal VaceWanModel', () => {
    let model: WanModel;
    let ctx: F32Tensor;
    let hints: { hints: F32Tensor; debug: Record<string, F32Tensor> };
    beforeAll(async () => {
      model = await WanModel.load(cfg, fixtureWeights(fx), shape, { vace: true, vaceAttention: 'noncausal', debug: true, ...goldenSession() });
      ctx = await model.embedText(fx.io.getF32('input.context'));
      hints = await model.hints(x, times, ctx, vaceContext);
    });
    afterAll(async () => model?.release());

    it('vace patch embedding', () => expectClose(fx, 'intermediate.noncausal.vace_patch_embedding', tokensToConvLayout(hints.debug.vace_patch_embedding!, grid)));
    for (let j = 0; j < (cfg.vace_layers ?? []).length; j++) {
      it(`hint of VACE block ${j}`, () => expectClose(fx, `hint.noncausal.${j}`, withBatch(hints.debug[`hint.${j}`]!)));
    }
    for (const s of scales('noncausal')) {
      it(`output at context scale ${s}`, async () => {
        const out = await model.forward({ x, timesteps: times, contextEmb: ctx, hints: hints.hints, contextScale: s });
        expectClose(fx, `output.noncausal.y_scale${s}`, out.flow);
        if (s === 1) for (let i = 0; i < cfg.num_layers; i++) expectClose(fx, `block.noncausal.${i}.out`, withBatch(out.debug[`block.${i}`]!));
      });
    }
  });

  describe('causal first chunk (scope CausalVaceWanModel)', () => {
    let model: WanModel;
    let ctx: F32Tensor;
    let hints: { hints: F32Tensor; debug: Record<string, F32Tensor> };
    beforeAll(async () => {
      model = await WanModel.load(cfg, fixtureWeights(fx), shape, { vace: true, cache: true, vaceAttention: 'causal', debug: true, ...goldenSession() });
      ctx = await model.embedText(fx.io.getF32('input.context'));
      hints = await model.hints(x, times, ctx, vaceContext);
    });
    afterAll(async () => model?.release());

    it('zero-key padding matches the recorded flex-attention padding', () => {
      expect(flexAttentionPadding(model.tokens)).toBe(fx.manifest.flex_attention_zero_key_padding);
    });
    it('vace patch embedding', () => expectClose(fx, 'intermediate.causal.vace_patch_embedding', tokensToConvLayout(hints.debug.vace_patch_embedding!, grid)));
    for (let j = 0; j < (cfg.vace_layers ?? []).length; j++) {
      it(`hint of VACE block ${j}`, () => expectClose(fx, `hint.causal.${j}`, withBatch(hints.debug[`hint.${j}`]!)));
    }
    for (const s of scales('causal')) {
      it(`output at context scale ${s}`, async () => {
        const out = await model.forward({ x, timesteps: times, contextEmb: ctx, hints: hints.hints, contextScale: s });
        expectClose(fx, `output.causal.y_scale${s}`, out.flow);
        if (s === 1) {
          for (let i = 0; i < cfg.num_layers; i++) expectClose(fx, `block.causal.${i}.out`, withBatch(out.debug[`block.${i}`]!));
          const x0 = new FlowMatchScheduler().x0FromFlow(out.flow.data, x.data, t);
          expectClose(fx, 'output.causal.x0_scale1', f32(x.shape, x0));
        }
      });
    }
    it('no VACE context (no hints)', async () => {
      const out = await model.forward({ x, timesteps: times, contextEmb: ctx });
      expectClose(fx, 'output.causal.y_no_vace', out.flow);
    });
    it('per-frame timesteps', async () => {
      const perFrame = numbers(fx, 'input.t_perframe');
      const h = await model.hints(x, perFrame, ctx, vaceContext);
      const out = await model.forward({ x, timesteps: perFrame, contextEmb: ctx, hints: h.hints, contextScale: 1 });
      expectClose(fx, 'output.causal.y_perframe_t', out.flow);
    });
  });
  itComparesEveryRecordedTensor(fx, [/^input\./]);
});
