/**
 * The execution provider the golden suite runs the models on: `VACE_DEVICE=cpu|webgpu|cuda`
 * (default cpu), and the precision: `VACE_DTYPE=fp32|fp16` (default fp32). Same fixtures, same
 * test names; under fp16 the comparisons use one relative bound instead of the manifests' float32
 * tolerances (FP16_RELATIVE_BOUND, applied in fixtures.ts). A provider that fails to start fails
 * the test instead of quietly running on CPU, so a green webgpu run means webgpu computed it.
 */
import type { Device, ModelDtype, SessionOptions } from '../../src/model/runtime/session.ts';

const DEVICES: readonly Device[] = ['cpu', 'webgpu', 'cuda'];

export function goldenDevice(value: string | undefined = process.env.VACE_DEVICE): Device {
  const v = (value ?? 'cpu').trim().toLowerCase() || 'cpu';
  if (!(DEVICES as readonly string[]).includes(v)) throw new Error(`VACE_DEVICE must be one of ${DEVICES.join(', ')}, got "${value}"`);
  return v as Device;
}

const DTYPES: readonly ModelDtype[] = ['fp32', 'fp16'];

export function goldenDtype(value: string | undefined = process.env.VACE_DTYPE): ModelDtype {
  const v = (value ?? 'fp32').trim().toLowerCase() || 'fp32';
  if (!(DTYPES as readonly string[]).includes(v)) throw new Error(`VACE_DTYPE must be one of ${DTYPES.join(', ')}, got "${value}"`);
  return v as ModelDtype;
}

/**
 * Under VACE_DTYPE=fp16 a result passes when max|got − ref| ≤ FP16_RELATIVE_BOUND · max|ref|.
 * Why this number: half precision rounds every weight and activation to 11 significant bits
 * (relative step 2⁻¹¹ ≈ 4.9e-4); through a dozen chained matmuls, norms and attentions those
 * roundings add up to a few 1e-3 of the tensor's range on the fixtures (see the per-fixture
 * figures the suites print under fp16). 1e-2 leaves head room above that and is still far below
 * what a wiring or precision bug gives (an fp16 overflow is inf/NaN or an O(1) relative error;
 * the wrong-cache negative example in tae is off by more than the whole range).
 */
export const FP16_RELATIVE_BOUND = 1e-2;

/** Session options for every model a golden test loads. */
export function goldenSession(): Pick<SessionOptions, 'device' | 'onFallback' | 'dtype'> {
  const device = goldenDevice();
  return {
    device,
    dtype: goldenDtype(),
    onFallback: (d, e) => {
      throw new Error(`VACE_DEVICE=${d}: the provider failed and the golden suite does not fall back to CPU: ${e.message.split('\n')[0]}`);
    },
  };
}
