/**
 * The `--device` and `--dtype` flags: parsing them, and a logger that prints a provider failure once. Choosing and
 * probing the provider is the runtime's job (src/model/runtime/device.ts).
 */
import { DEVICE_CHOICES, DTYPE_CHOICES, type DeviceChoice, type DtypeChoice } from '../model/runtime/device.ts';

export function parseDevice(value: string | undefined): DeviceChoice {
  const v = (value ?? 'auto').toLowerCase();
  if (!(DEVICE_CHOICES as readonly string[]).includes(v)) {
    throw new Error(`--device must be one of ${DEVICE_CHOICES.join(', ')}, got "${value}"`);
  }
  return v as DeviceChoice;
}

export function parseDtype(value: string | undefined): DtypeChoice {
  const v = (value ?? 'auto').toLowerCase();
  if (!(DTYPE_CHOICES as readonly string[]).includes(v)) {
    throw new Error(`--dtype must be one of ${DTYPE_CHOICES.join(', ')}, got "${value}"`);
  }
  return v as DtypeChoice;
}

/** Wraps a logger so a line repeated verbatim (one provider failure reported per model) is printed once. */
export function onceLogger(log: (msg: string) => void): (msg: string) => void {
  const seen = new Set<string>();
  return (msg) => {
    if (/provider failed/.test(msg)) {
      if (seen.has(msg)) return;
      seen.add(msg);
    }
    log(msg);
  };
}
