/** --device and --dtype: parsing, auto choices (CUDA provider installed; precision per device), and the one-line CPU fallback. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autoDevice, cudaProviderInstalled, resolveDevice, resolveDtype, shortReason } from '../../../../src/model/runtime/device.ts';
import { onceLogger, parseDevice, parseDtype } from '../../../../src/cli/device.ts';

const dir = mkdtempSync(join(tmpdir(), 'vace-device-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--device', () => {
  it('accepts auto, cpu, webgpu, cuda (auto by default) and names the choices otherwise', () => {
    expect(parseDevice(undefined)).toBe('auto');
    expect(parseDevice('CUDA')).toBe('cuda');
    expect(parseDevice('webgpu')).toBe('webgpu');
    expect(() => parseDevice('tpu')).toThrow('--device must be one of auto, cpu, webgpu, cuda, got "tpu"');
  });

  it('auto is cuda exactly when the CUDA provider library sits next to the ORT binding', () => {
    expect(autoDevice(true)).toBe('cuda');
    expect(autoDevice(false)).toBe('cpu');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    expect(cudaProviderInstalled(bin)).toBe(false);
    const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    writeFileSync(join(bin, lib), '');
    expect(cudaProviderInstalled(bin)).toBe(process.platform === 'linux' || process.platform === 'win32');
  });

  it('a provider that fails is one log line and CPU; one that works is kept; cpu is never probed', async () => {
    const lines: string[] = [];
    const failing = async () => {
      throw new Error('/onnxruntime_src/core/providers/webgpu/webgpu_context.cc:136 ctx::<lambda()> Failed to get a WebGPU adapter\nmore detail');
    };
    const r = await resolveDevice('webgpu', (m) => lines.push(m), failing);
    expect(r).toEqual({ requested: 'webgpu', device: 'cpu', fallbackReason: 'Failed to get a WebGPU adapter' });
    expect(lines).toEqual(['webgpu execution provider failed (Failed to get a WebGPU adapter); retrying on CPU']);
    const ok = await resolveDevice('cuda', (m) => lines.push(m), async () => {});
    expect(ok.device).toBe('cuda');
    let probed = false;
    expect((await resolveDevice('cpu', () => {}, async () => void (probed = true))).device).toBe('cpu');
    expect(probed).toBe(false);
    expect(lines).toHaveLength(1);
  });

  it('the real probe on this machine: cuda works silently, or fails as exactly one line and CPU', async () => {
    const lines: string[] = [];
    const r = await resolveDevice('cuda', (m) => lines.push(m));
    if (r.device === 'cuda') expect(lines).toEqual([]);
    else {
      expect(r.device).toBe('cpu');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^cuda execution provider failed \(.+\); retrying on CPU/);
    }
    // Without the provider library installed, CUDA cannot work.
    if (!cudaProviderInstalled()) expect(r.device).toBe('cpu');
  }, 30_000);

  it('shortReason keeps one line, without ORT source prefixes, bounded in length', () => {
    expect(shortReason(new Error('a\nb'))).toBe('a');
    expect(shortReason(new Error('x'.repeat(500))).length).toBeLessThanOrEqual(200);
  });

  it('onceLogger prints a repeated provider failure once and other lines every time', () => {
    const lines: string[] = [];
    const log = onceLogger((m) => lines.push(m));
    log('cuda provider failed (x); using CPU');
    log('cuda provider failed (x); using CPU');
    log('loaded');
    log('loaded');
    expect(lines).toEqual(['cuda provider failed (x); using CPU', 'loaded', 'loaded']);
  });
});

describe('--dtype', () => {
  it('accepts auto, fp32, fp16 (auto by default) and names the choices otherwise', () => {
    expect(parseDtype(undefined)).toBe('auto');
    expect(parseDtype('FP16')).toBe('fp16');
    expect(parseDtype('fp32')).toBe('fp32');
    expect(() => parseDtype('bf16')).toThrow('--dtype must be one of auto, fp32, fp16, got "bf16"');
  });

  it('auto is fp16 on a GPU provider and fp32 on CPU; an explicit choice is kept on any device', () => {
    expect(resolveDtype('auto', 'webgpu')).toBe('fp16');
    expect(resolveDtype('auto', 'cuda')).toBe('fp16');
    expect(resolveDtype('auto', 'cpu')).toBe('fp32');
    expect(resolveDtype('fp16', 'cpu')).toBe('fp16');
    expect(resolveDtype('fp32', 'cuda')).toBe('fp32');
  });

  it('resolved after the device probe, a GPU that fell back to CPU runs fp32', async () => {
    const failing = async () => {
      throw new Error('Failed to get a WebGPU adapter');
    };
    const { device } = await resolveDevice('webgpu', () => {}, failing);
    expect(resolveDtype('auto', device)).toBe('fp32');
  });
});
