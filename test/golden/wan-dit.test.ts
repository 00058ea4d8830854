import { afterAll, beforeAll, describe, it } from 'vitest';
import { timestepSinusoid } from '../../src/model/wan/embeddings.ts';
import { WanModel, type MainOutputs } from '../../src/model/wan/model.ts';
import { tokenGrid } from '../../src/model/wan/config.ts';
import { f32, i64, type F32Tensor } from '../../src/model/tensor.ts';
import { Fixture, expectClose, itComparesEveryRecordedTensor } from '../support/fixtures.ts';
import { goldenSession } from '../support/golden-device.ts';
import { fixtureConfig, fixtureWeights, numbers, tokensToConvLayout, withBatch } from '../support/wan.ts';

const fx = new Fixture('wan_dit');
const cfg = fixtureConfig(fx);
// Each recorded case is an `input.x<suffix>` with its outputs under the same suffix.
const suffixes = fx.tensorNames(/^input\.x\d*$/).map((n) => n.slice('input.x'.length));

describe('wan_dit', () => {
  for (const sfx of suffixes) {
    describe(`case "x${sfx}"`, () => {
      const x = fx.io.getF32(`input.x${sfx}`);
      const [, F, H, W] = x.shape as number[];
      const grid = tokenGrid(cfg, F!, H!, W!);
      const t = numbers(fx, `input.t${sfx}`);
      let model: WanModel;
      let full: MainOutputs;
      let short: MainOutputs;
      let ctxEmb: F32Tensor;
      beforeAll(async () => {
        model = await WanModel.load(cfg, fixtureWeights(fx), { latentFrames: F!, latentH: H!, latentW: W! }, { debug: true, ...goldenSession() });
        const times = new Array<number>(grid.frames).fill(t[0]!);
        ctxEmb = await model.embedText(fx.io.getF32(`input.context${sfx}`));
        full = await model.forward({ x, timesteps: times, contextEmb: ctxEmb });
        const shortEmb = await model.embedText(fx.io.getF32(`input.context_short${sfx}`));
        short = await model.forward({ x, timesteps: times, contextEmb: shortEmb });
      });
      afterAll(async () => model?.release());

      it('output (flow)', () => expectClose(fx, `output.y${sfx}`, full.flow));
      it('output with the short, zero-padded text context', () => expectClose(fx, `output.y_short_ctx${sfx}`, short.flow));
      it('timestep sinusoid', () => expectClose(fx, `intermediate.t_sinusoid${sfx}`, timestepSinusoid(cfg.freq_dim, [t[0]!])));
      it('patch embedding', () => expectClose(fx, `intermediate.patch_embedding${sfx}`, tokensToConvLayout(full.debug.patch_embedding!, grid)));
      // The graph embeds t per latent frame (causal models use per-frame t); here all frames share t.
      it('time embedding', () => expectClose(fx, `intermediate.time_embedding${sfx}`, firstRow(full.debug.time_embedding!)));
      it('time projection', () => expectClose(fx, `intermediate.time_projection${sfx}`, firstRow(full.debug.time_projection!)));
      it('text embedding', () => expectClose(fx, `intermediate.text_embedding${sfx}`, withBatch(ctxEmb)));
      it('head', () => expectClose(fx, `intermediate.head${sfx}`, withBatch(full.debug.head!)));
      it('grid sizes', () => expectClose(fx, `intermediate.grid_sizes${sfx}`, i64([3], [grid.frames, grid.height, grid.width])));
      for (let i = 0; i < cfg.num_layers; i++) {
        it(`block ${i} output`, () => expectClose(fx, `block.${i}.out${sfx}`, withBatch(full.debug[`block.${i}`]!)));
      }
    });
  }
  itComparesEveryRecordedTensor(fx, [/^input\./]);
});

function firstRow(t: F32Tensor): F32Tensor {
  const w = t.shape[1]!;
  return f32([1, w], t.data.slice(0, w));
}
