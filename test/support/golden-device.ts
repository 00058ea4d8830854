/**
 * The execution provider the golden suite runs the models on: `VACE_DEVICE=cpu|webgpu|cuda`
 * (default cpu), the precision `VACE_DTYPE=fp32|fp16` (default fp32) and the fused-kernel set
 * `VACE_KERNELS=auto|fused|plain` (default auto: the provider's own set; `fused` on cpu proves the
 * fused maths against upstream). Same fixtures, same
 * test names; under fp16 the comparisons use one relative RMS bound instead of the manifests'
 * float32 tolerances (FP16_RELATIVE_BOUND, applied in fixtures.ts). A provider that fails to start fails
 * the test instead of quietly running on CPU, so a green webgpu run means webgpu computed it.
 */
import { parseKernelChoice } from '../../src/model/onnx/kernels.ts';
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
 * Under VACE_DTYPE=fp16 a result passes when its relative RMS error is within this bound:
 * ‖got − ref‖₂ ≤ FP16_RELATIVE_BOUND · ‖ref‖₂ (exact records stay exact).
 *
 * Why RMS and why 5e-2: half precision keeps 11 significant bits (step 2⁻¹¹ ≈ 4.9e-4), and ORT
 * 1.30's WebGPU kernels also ACCUMULATE half-precision MatMul/Conv in half precision (measured:
 * 2e-2 relative error for one 2304-term dot product on WebGPU, 3e-5 on CPU; CUDA accumulates in
 * float32). Sums of K terms then err by ~√K·2⁻¹¹, which for the real-size TAE and annotator convs
 * (K = 9·256 … 9·512) is 1e-2 … 3e-2; measured on WebGPU (lavapipe): ≤ 2e-2 RMS for tae, depth and
 * scribble, ≤ 3e-3 for the DiT, VACE and UMT5 fixtures (printed per fixture by the suites). Such
 * errors are spread over all elements, but a few outputs near a sharp nonlinearity (clamp, sigmoid)
 * can be off by several times the RMS, so a max-abs criterion would have to be as loose as 1e-1.
 * What the fp16 suite must catch — an overflow (inf/NaN), a region computing in the wrong precision,
 * a saturated mask — gives RMS errors of order 1 or NaN, far above 5e-2.
 */
export const FP16_RELATIVE_BOUND = 5e-2;

/** Session options for every model a golden test loads. */
export function goldenSession(): Pick<SessionOptions, 'device' | 'onFallback' | 'dtype' | 'kernels'> {
  const device = goldenDevice();
  return {
    device,
    dtype: goldenDtype(),
    kernels: parseKernelChoice(process.env.VACE_KERNELS),
    onFallback: (d, e) => {
      throw new Error(`VACE_DEVICE=${d}: the provider failed and the golden suite does not fall back to CPU: ${e.message.split('\n')[0]}`);
    },
  };
}
