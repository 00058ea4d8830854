/**
 * The flags every model-running command shares (`serve`, `render`): which preset, on which
 * execution provider, in which precision, with how many threads, from which models folder. One options block, one
 * parser and one help text, so the commands cannot drift apart.
 */
import { resolve } from 'node:path';
import type { DeviceChoice, DtypeChoice } from '../model/runtime/device.ts';
import { UMT5_WEIGHT_FORMATS, type Umt5WeightFormat } from '../model/text/param-spec.ts';
import { defaultModelsDir } from '../weight-store/index.ts';
import { parseDevice, parseDtype } from './device.ts';
import { CliError } from './io.ts';
import { usageLine } from './param-flags.ts';

/** parseArgs options of the model flags. */
export const MODEL_FLAG_OPTIONS = {
  preset: { type: 'string', default: 'demo' },
  device: { type: 'string' },
  dtype: { type: 'string' },
  threads: { type: 'string' },
  'models-dir': { type: 'string' },
  'text-weights': { type: 'string' },
} as const;

/** The model flags' help lines, in the column layout of the command's usage text. */
export function modelFlagsHelp(column = 26): string {
  return [
    usageLine('--preset NAME', 'model preset (default demo; `vace-live models list` shows them)', column),
    usageLine('--device D', 'auto | cpu | webgpu | cuda (default auto: cuda if installed, else cpu)', column),
    usageLine('--dtype T', 'auto | fp32 | fp16 (default auto: fp16 on webgpu/cuda, fp32 on cpu)', column),
    usageLine('--threads N', 'ONNX Runtime intra-op threads (default: all cores)', column),
    usageLine('--models-dir DIR', 'where weights live (default $VACE_MODELS_DIR or ~/.cache/vace-live/models)', column),
    usageLine('--text-weights W', "text encoder weights f32 | int8 (default: the preset's)", column),
  ].join('\n');
}

export interface ModelFlags {
  preset: string;
  device: DeviceChoice;
  /** Resolve with resolveDtype once the device is known. */
  dtype: DtypeChoice;
  threads?: number;
  /** Absolute. */
  modelsDir: string;
  /** Absent: the preset's default. */
  textWeights?: Umt5WeightFormat;
}

/** An integer flag in [min, max]; undefined when absent. */
export function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw new CliError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  return n;
}

export function parseModelFlags(values: { preset?: string; device?: string; dtype?: string; threads?: string; 'models-dir'?: string; 'text-weights'?: string }): ModelFlags {
  let device: DeviceChoice;
  let dtype: DtypeChoice;
  try {
    device = parseDevice(values.device);
    dtype = parseDtype(values.dtype);
  } catch (e) {
    throw new CliError((e as Error).message);
  }
  const threads = integerFlag('threads', values.threads, 1, 256);
  const textWeights = values['text-weights']?.trim().toLowerCase();
  if (textWeights !== undefined && !(UMT5_WEIGHT_FORMATS as readonly string[]).includes(textWeights)) {
    throw new CliError(`--text-weights must be one of ${UMT5_WEIGHT_FORMATS.join(', ')}, got "${values['text-weights']}"`);
  }
  return {
    preset: values.preset ?? 'demo',
    device,
    dtype,
    ...(threads !== undefined ? { threads } : {}),
    modelsDir: resolve(values['models-dir'] ?? defaultModelsDir()),
    ...(textWeights !== undefined ? { textWeights: textWeights as Umt5WeightFormat } : {}),
  };
}
