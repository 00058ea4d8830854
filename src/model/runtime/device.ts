/**
 * Which ONNX Runtime execution provider the models run on (`--device cpu|webgpu|cuda|auto`).
 *
 * - auto: CUDA when its execution-provider libraries are installed next to onnxruntime-node's
 *   binding (they are not in the npm package: its install script downloads them), else CPU.
 *   WebGPU is never picked automatically: it ships in the package, but whether it works depends on
 *   the machine's GPU driver, so it is opt-in.
 * - A provider that is asked for but fails is tried once on a one-node probe model: the failure is
 *   one log line and everything runs on CPU, so the loader does not log the same failure per model.
 *   (ORT never falls back on its own; the session seam also retries per model if a later, bigger
 *   graph fails on the device.)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Graph } from '../onnx/graph.ts';
import { ModelSession, type Device, type ModelDtype } from './session.ts';

export type DeviceChoice = Device | 'auto';
export const DEVICE_CHOICES: readonly DeviceChoice[] = ['auto', 'cpu', 'webgpu', 'cuda'];

/** `--dtype auto|fp32|fp16`. */
export type DtypeChoice = ModelDtype | 'auto';
export const DTYPE_CHOICES: readonly DtypeChoice[] = ['auto', 'fp32', 'fp16'];

/**
 * The precision for `choice` on the device the models actually run on (resolve it after
 * resolveDevice, so a GPU that fell back to CPU runs fp32): auto is fp16 on a GPU provider and
 * fp32 on CPU, where ORT has few half-precision kernels and converts to float32 around each node.
 */
export function resolveDtype(choice: DtypeChoice, device: Device): ModelDtype {
  if (choice !== 'auto') return choice;
  return device === 'cpu' ? 'fp32' : 'fp16';
}

/** The folder holding onnxruntime-node's native binding for this platform. */
export function ortBinaryDir(): string {
  const pkg = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
  return join(dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
}

const CUDA_PROVIDER_LIB: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

/** Whether the CUDA execution provider's library is installed (says nothing about a GPU being present). */
export function cudaProviderInstalled(binDir: string = ortBinaryDir()): boolean {
  const lib = CUDA_PROVIDER_LIB[process.platform];
  return lib !== undefined && existsSync(join(binDir, lib));
}

export function autoDevice(cudaInstalled: boolean = cudaProviderInstalled()): Device {
  return cudaInstalled ? 'cuda' : 'cpu';
}

/** Runs a one-node model on the device; throws the provider's error if it cannot. */
async function probeDevice(device: Device): Promise<void> {
  const g = new Graph('device_probe');
  const x = g.input('x', 'float32', [1]);
  const [y] = g.node('Identity', [x]);
  g.output(y!, 'y');
  let failure: Error | undefined;
  const session = await ModelSession.fromGraph(g, { device, onFallback: (_d, e) => (failure = e) });
  try {
    if (failure) throw failure;
    await session.run({ x: { dtype: 'float32', shape: [1], data: new Float32Array([1]) } });
  } finally {
    await session.release();
  }
}

export interface ResolvedDevice {
  requested: DeviceChoice;
  device: Device;
  /** Set when the requested/auto-picked provider failed and CPU is used instead. */
  fallbackReason?: string;
}

/** Picks the device for `choice`, probing a non-CPU provider once and falling back to CPU with one log line. */
export async function resolveDevice(choice: DeviceChoice, log: (msg: string) => void, probe: (d: Device) => Promise<void> = probeDevice): Promise<ResolvedDevice> {
  const device = choice === 'auto' ? autoDevice() : choice;
  if (device === 'cpu') return { requested: choice, device };
  try {
    await probe(device);
    return { requested: choice, device };
  } catch (e) {
    const reason = shortReason(e);
    log(`${device} execution provider failed (${reason}); retrying on CPU${device === 'cuda' ? ' (see README "GPU notes" for the CUDA install step)' : ''}`);
    return { requested: choice, device: 'cpu', fallbackReason: reason };
  }
}

/** The first line of a provider error, without ORT's source-location prefix, at most ~200 characters. */
export function shortReason(e: unknown): string {
  let line = ((e as Error)?.message ?? String(e)).split('\n')[0]!.trim();
  line = line.replace(/^\/\S+\.(cc|cpp|h):\d+\s+/, '').replace(/^\S+<lambda\(\)>\s+/, '');
  return line.length > 200 ? `…${line.slice(-199)}` : line;
}
