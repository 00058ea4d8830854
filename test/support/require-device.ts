/**
 * Fails with one actionable message when an execution provider cannot start here, before a suite
 * spends minutes failing model by model (or, for the server, quietly falling back to CPU).
 */
import { resolveDevice } from '../../src/model/runtime/device.ts';
import type { Device } from '../../src/model/runtime/session.ts';

const HOW_TO_GET: Partial<Record<Device, string>> = {
  webgpu:
    'WebGPU needs a Vulkan driver. Without a GPU, install Mesa\'s software driver lavapipe (Mesa >= 25): `.ci/run` does it on Debian 12 ' +
    '(mesa-vulkan-drivers from bookworm-backports); see README "GPU"',
  cuda: 'CUDA needs onnxruntime\'s CUDA 12 binaries and an NVIDIA GPU; see README "GPU"',
};

export async function requireDevice(device: Device): Promise<void> {
  if (device === 'cpu') return;
  const { fallbackReason } = await resolveDevice(device, () => {});
  if (fallbackReason !== undefined) {
    throw new Error(`the ${device} execution provider does not start on this machine (${fallbackReason}). ${HOW_TO_GET[device] ?? ''}`.trim());
  }
}
