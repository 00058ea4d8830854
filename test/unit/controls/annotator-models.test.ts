import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnnotatorModels } from '../../../controls/annotator-models.ts';
import type { WeightReader } from '../../../src/model/weights/reader.ts';
import { randomWeights, writeRandomSafetensors } from '../../../src/model/weights/random.ts';

const SHAPES = new Map([['head.weight', [2, 3]]]);
const dir = mkdtempSync(join(tmpdir(), 'annotator-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model standing in for a loaded ORT graph: remembers its size and whether it was released. */
class SizedModel {
  released = 0;
  constructor(
    readonly size: string,
    readonly weights: WeightReader,
  ) {}
  async release(): Promise<void> {
    this.released++;
  }
}

/** A load function recording every model it made; `fail` makes the next loads reject. */
function loader() {
  const made: SizedModel[] = [];
  const state = { fail: 0 };
  const load = async (w: WeightReader, h: number, wd: number) => {
    if (state.fail > 0) {
      state.fail--;
      throw new Error(`cannot build the graph for ${h}x${wd}`);
    }
    const m = new SizedModel(`${h}x${wd}`, w);
    made.push(m);
    return m;
  };
  return { made, state, load };
}

describe('AnnotatorModels', () => {
  it('loads one model per frame size and reuses it while the size stays', async () => {
    const { made, load } = loader();
    const models = new AnnotatorModels({ weights: randomWeights(SHAPES, 1) }, load);
    const a = await models.forSize(12, 16);
    expect(await models.forSize(12, 16)).toBe(a);
    expect(made.map((m) => m.size)).toEqual(['12x16']);
  });

  it('a new size loads a new model and releases the old one', async () => {
    const { made, load } = loader();
    const models = new AnnotatorModels({ weights: randomWeights(SHAPES, 1) }, load);
    const small = await models.forSize(12, 16);
    const big = await models.forSize(24, 32);
    expect(big.size).toBe('24x32');
    expect(small.released).toBe(1);
    expect(big.released).toBe(0);
    const backAgain = await models.forSize(12, 16); // not kept: loaded afresh
    expect(backAgain).not.toBe(small);
    expect(made.map((m) => m.size)).toEqual(['12x16', '24x32', '12x16']);
  });

  it('a failed load rejects that chunk and is retried on the next one', async () => {
    const { made, state, load } = loader();
    const models = new AnnotatorModels({ weights: randomWeights(SHAPES, 1) }, load);
    state.fail = 1;
    await expect(models.forSize(12, 16)).rejects.toThrow('cannot build the graph for 12x16');
    const m = await models.forSize(12, 16);
    expect(m.size).toBe('12x16');
    expect(made).toHaveLength(1);
  });

  it('a size change after a failed load does not try to release the model that never was', async () => {
    const { state, load } = loader();
    const models = new AnnotatorModels({ weights: randomWeights(SHAPES, 1) }, load);
    state.fail = 1;
    await expect(models.forSize(12, 16)).rejects.toThrow();
    await expect(models.forSize(24, 32)).resolves.toMatchObject({ size: '24x32' });
  });

  it('release() frees the current model; the next chunk loads again', async () => {
    const { made, load } = loader();
    const models = new AnnotatorModels({ weights: randomWeights(SHAPES, 1) }, load);
    const m = await models.forSize(12, 16);
    await models.release();
    expect(m.released).toBe(1);
    await models.release(); // nothing held: nothing released twice
    expect(m.released).toBe(1);
    expect(await models.forSize(12, 16)).not.toBe(m);
    expect(made).toHaveLength(2);
  });

  it('opens a checkpoint path on first use only, and names a missing one', async () => {
    const path = join(dir, 'tiny.safetensors');
    writeRandomSafetensors(path, SHAPES, 4);
    const { load } = loader();
    const models = new AnnotatorModels({ weightsPath: path }, load);
    const m = await models.forSize(12, 16);
    expect(m.weights.path).toBe(path);
    expect(Array.from(m.weights.getF32('head.weight').data)).toEqual(Array.from(randomWeights(SHAPES, 4).getF32('head.weight').data));
    expect((await models.forSize(24, 32)).weights).toBe(m.weights); // one open checkpoint for every size
    await models.release();
    // After release the checkpoint is closed and opened again for the next model.
    const reopened = await models.forSize(12, 16);
    expect(reopened.weights).not.toBe(m.weights);
    expect(reopened.weights.shape('head.weight')).toEqual([2, 3]);
    await models.release();

    const missing = new AnnotatorModels({ weightsPath: join(dir, 'missing.safetensors') }, load);
    await expect(missing.forSize(12, 16)).rejects.toThrow(/missing\.safetensors/);
  });
});
