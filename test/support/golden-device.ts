/**
 * The execution provider the golden suite runs the models on: `VACE_DEVICE=cpu|webgpu|cuda`
 * (default cpu), with the fused-kernel set `VACE_KERNELS=auto|fused|plain` (default auto: the
 * provider's own set; `fused` on cpu proves the fused maths against upstream). Same fixtures,
 * same test names, same tolerances. A provider that fails to start fails the test instead of quietly running on CPU, so a green webgpu run means webgpu computed it.
 */
import { parseKernelChoice } from '../../src/model/onnx/kernels.ts';
import type { Device, SessionOptions } from '../../src/model/runtime/session.ts';

const DEVICES: readonly Device[] = ['cpu', 'webgpu', 'cuda'];

export function goldenDevice(value: string | undefined = process.env.VACE_DEVICE): Device {
  const v = (value ?? 'cpu').trim().toLowerCase() || 'cpu';
  if (!(DEVICES as readonly string[]).includes(v)) throw new Error(`VACE_DEVICE must be one of ${DEVICES.join(', ')}, got "${value}"`);
  return v as Device;
}

/** Session options for every model a golden test loads; `VACE_KERNELS=auto|fused|plain` picks the kernel set (default auto). */
export function goldenSession(): Pick<SessionOptions, 'device' | 'onFallback' | 'kernels'> {
  const device = goldenDevice();
  return {
    device,
    kernels: parseKernelChoice(process.env.VACE_KERNELS),
    onFallback: (d, e) => {
      throw new Error(`VACE_DEVICE=${d}: the provider failed and the golden suite does not fall back to CPU: ${e.message.split('\n')[0]}`);
    },
  };
}
