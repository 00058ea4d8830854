/**
 * Golden test of the VACE context against `vace_encode`: every case of the manifest is built
 * from its recorded inputs with the manifest's stub encoder, and the context, the encoder calls
 * (count, shape, use_cache) and the recorded pixel tensors given to the encoder are compared.
 * Reference images go through PNG like scope (they are written as PNG files there).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { reshape, type F32Tensor } from '../../src/model/tensor.ts';
import { encodeMaskChannels } from '../../src/pipeline/mask-encoding.ts';
import { decodeReferenceImage, prepareReferenceImage, type RgbImage } from '../../src/pipeline/reference-images.ts';
import { buildVaceContext, type VaceContextConfig, type VaceInputs } from '../../src/pipeline/vace-context.ts';
import { Fixture, expectClose, itComparesEveryRecordedTensor } from '../support/fixtures.ts';
import { StubVaeEncoder, stubBias, stubWeights } from '../support/stub-vae.ts';

interface EncodeCase {
  description: string;
  inputs: Record<string, string | string[]>;
  stub_calls: { shape: number[]; use_cache: boolean }[];
  output_shape: number[];
}

const fx = new Fixture('vace_encode');
const [height, width] = fx.manifest.pixel_hw as [number, number];
const config: VaceContextConfig = { height, width, extensionFrames: fx.manifest.frames_per_chunk as number };
const cases = fx.manifest.cases as Record<string, EncodeCase>;

/** "input.ref_image_u8 (written as PNG, path passed)" → "input.ref_image_u8". */
function tensorName(spec: string): string {
  return spec.trim().split(/\s+/)[0]!;
}

/** Drops the leading batch dimension of a recorded [1, C, T, H, W] tensor. */
function unbatched(name: string): F32Tensor {
  const t = fx.io.getF32(name);
  if (t.shape[0] !== 1) throw new Error(`vace_encode: ${name} has batch ${t.shape[0]}, expected 1`);
  return reshape(t, t.shape.slice(1));
}

function rawImage(name: string): RgbImage {
  const e = fx.io.entry(name);
  if (e.dtype !== 'U8' || e.shape.length !== 3 || e.shape[2] !== 3) throw new Error(`vace_encode: ${name} must be U8 [H, W, 3], got ${e.dtype} [${e.shape.join(', ')}]`);
  return { height: e.shape[0]!, width: e.shape[1]!, data: new Uint8Array(fx.io.bytes(name)) };
}

/** The image as scope receives it: written to PNG, decoded again. */
async function imageViaPng(name: string): Promise<RgbImage> {
  const img = rawImage(name);
  const png = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
  return decodeReferenceImage(png);
}

async function caseInputs(name: string, c: EncodeCase): Promise<VaceInputs> {
  const inputs: { -readonly [K in keyof VaceInputs]: VaceInputs[K] } = {};
  for (const [key, spec] of Object.entries(c.inputs)) {
    switch (key) {
      case 'vace_input_frames':
        inputs.frames = unbatched(tensorName(spec as string));
        break;
      case 'vace_input_masks':
        inputs.mask = unbatched(tensorName(spec as string));
        break;
      case 'vace_ref_images':
        inputs.references = await Promise.all((spec as string[]).map((s) => imageViaPng(tensorName(s))));
        break;
      case 'first_frame_image':
        inputs.firstFrame = await imageViaPng(tensorName(spec as string));
        break;
      case 'last_frame_image':
        inputs.lastFrame = await imageViaPng(tensorName(spec as string));
        break;
      default:
        throw new Error(`vace_encode case ${name}: unknown input "${key}"`);
    }
  }
  return inputs;
}

describe('vace_encode', () => {
  it('stub encoder weights W and bias b', () => {
    expectClose(fx, 'stub.W', { shape: [16, 3], data: stubWeights() });
    expectClose(fx, 'stub.b', { shape: [16], data: stubBias() });
  });

  it('reference image preparation (u8 → [−1, 1], [3, 1, H, W])', () => {
    expectClose(fx, 'input.ref_image', prepareReferenceImage(rawImage('input.ref_image_u8'), height, width));
  });

  it('mask channels: space-to-depth 8×8 and nearest-exact time resampling (unit.vace_encode_masks)', () => {
    expectClose(fx, 'unit.vace_encode_masks', encodeMaskChannels(unbatched('input.masks')));
  });

  for (const [name, c] of Object.entries(cases)) {
    describe(name, () => {
      // c.description says what the case exercises.
      it('vace_context, encoder calls and their pixel inputs', async () => {
        const stub = new StubVaeEncoder();
        const result = await buildVaceContext(await caseInputs(name, c), stub, config);
        expect(result, `${name}: a VACE context`).not.toBeNull();
        expect([...result!.context.shape]).toEqual(c.output_shape);
        expectClose(fx, `${name}.vace_context`, result!.context);

        expect(stub.calls.map((call) => ({ shape: [1, ...call.frames.shape], use_cache: call.useCache })), `${name}: encoder calls`).toEqual(
          c.stub_calls.map((call) => ({ shape: call.shape, use_cache: call.use_cache })),
        );
        // Every recorded encoder input of this case (only some calls are recorded).
        const recorded = fx.tensorNames(new RegExp(`^${name}\\.stub_call\\.\\d+\\.pixel$`));
        for (const key of recorded) {
          const call = stub.calls[Number(key.split('.').at(-2))];
          expect(call, `${key}: the encoder was called that often`).toBeDefined();
          expectClose(fx, key, reshape(call!.frames, [1, ...call!.frames.shape]));
        }
      });
    });
  }
  itComparesEveryRecordedTensor(fx, [/^input\./]);
});
