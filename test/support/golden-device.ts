/**
 * The execution provider the golden suite runs the models on: `VACE_DEVICE=cpu|webgpu|cuda`
 * (default cpu). Same fixtures, same test names, same tolerances. A provider that fails to start
 * fails the test instead of quietly running on CPU, so a green webgpu run means webgpu computed it.
 */
import type { Device, SessionOptions } from '../../src/model/runtime/session.ts';

const DEVICES: readonly Device[] = ['cpu', 'webgpu', 'cuda'];

export function goldenDevice(value: string | undefined = process.env.VACE_DEVICE): Device {
  const v = (value ?? 'cpu').trim().toLowerCase() || 'cpu';
  if (!(DEVICES as readonly string[]).includes(v)) throw new Error(`VACE_DEVICE must be one of ${DEVICES.join(', ')}, got "${value}"`);
  return v as Device;
}

/** Session options for every model a golden test loads. */
export function goldenSession(): Pick<SessionOptions, 'device' | 'onFallback'> {
  const device = goldenDevice();
  return {
    device,
    onFallback: (d, e) => {
      throw new Error(`VACE_DEVICE=${d}: the provider failed and the golden suite does not fall back to CPU: ${e.message.split('\n')[0]}`);
    },
  };
}
