import { describe, expect, it } from 'vitest';
import { RateMeter, type ProgressEvent } from '../../../src/weight-store/progress-events.ts';
import { createTerminalProgress, formatDuration, formatProgressLine } from '../../../src/weight-store/progress.ts';

const ev = (over: Partial<ProgressEvent>): ProgressEvent => ({
  file: 'WanVideo_comfy/umt5-xxl-enc-bf16.safetensors',
  fileIndex: 2,
  fileCount: 9,
  phase: 'download',
  bytesDone: 0,
  bytesTotal: null,
  bytesPerSecond: 0,
  etaSeconds: null,
  ...over,
});

describe('RateMeter', () => {
  it('measures the rate over its window and derives the ETA', () => {
    const m = new RateMeter(5000);
    m.add(0, 0);
    m.add(1000, 10_000_000);
    m.add(2000, 20_000_000);
    expect(m.bytesPerSecond()).toBeCloseTo(10_000_000);
    expect(m.etaSeconds(20_000_000, 100_000_000)).toBeCloseTo(8);
    expect(m.etaSeconds(5, null)).toBeNull();
    // Old samples leave the window: a slowdown shows within it.
    m.add(8000, 26_000_000);
    m.add(9000, 27_000_000);
    expect(m.bytesPerSecond()).toBeCloseTo(1_000_000);
  });

  it('has no rate and no ETA before two samples', () => {
    const m = new RateMeter();
    m.add(0, 100);
    expect(m.bytesPerSecond()).toBe(0);
    expect(m.etaSeconds(100, 1000)).toBeNull();
  });
});

describe('formatProgressLine', () => {
  it('shows position, percentage, bar, amounts, rate and ETA within the width', () => {
    const line = formatProgressLine(ev({ bytesDone: 5_000_000_000, bytesTotal: 10_000_000_000, bytesPerSecond: 50_000_000, etaSeconds: 100 }), 120);
    expect(line).toContain('[2/9] WanVideo_comfy/umt5-xxl-enc-bf16.safetensors');
    expect(line).toContain(' 50% [##########----------]');
    expect(line).toContain('5.0 GB/10.0 GB');
    expect(line).toContain('50.0 MB/s');
    expect(line).toContain('ETA 1m40s');
    expect(line.length).toBeLessThanOrEqual(120);
  });

  it('shortens long names from the left to fit narrow terminals', () => {
    const line = formatProgressLine(ev({ bytesDone: 1, bytesTotal: 2, bytesPerSecond: 1, etaSeconds: 1 }), 70);
    expect(line.length).toBeLessThanOrEqual(70);
    expect(line).toMatch(/\[2\/9\] …/);
  });

  it('words the other phases', () => {
    expect(formatProgressLine(ev({ phase: 'resume', bytesDone: 3_000_000, bytesTotal: 9_000_000 }))).toMatch(/resuming from 3\.0 MB \(9\.0 MB\)/);
    expect(formatProgressLine(ev({ phase: 'skip', bytesTotal: 1000 }))).toMatch(/already verified/);
    expect(formatProgressLine(ev({ phase: 'error', error: { code: 'offline', message: 'cannot reach the model hub' } }))).toMatch(/FAILED: cannot reach the model hub$/);
  });

  it('formats durations', () => {
    expect(formatDuration(null)).toBe('--');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(61)).toBe('1m01s');
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe('3h05m');
  });
});

describe('createTerminalProgress', () => {
  it('redraws one line in place on a TTY and ends it when the file is done', () => {
    let out = '';
    const p = createTerminalProgress({ isTTY: true, columns: 100, write: (s) => (out += s) });
    p.onProgress(ev({ phase: 'start', bytesTotal: 100 }));
    p.onProgress(ev({ bytesDone: 50, bytesTotal: 100 }));
    p.onProgress(ev({ phase: 'done', bytesDone: 100, bytesTotal: 100 }));
    expect(out.split('\r\x1b[2K')).toHaveLength(4);
    expect(out.endsWith('\n')).toBe(true);
    expect(out.match(/\n/g)).toHaveLength(1);
  });

  it('prints phase changes and throttles progress lines in logs', () => {
    const lines: string[] = [];
    let t = 0;
    const p = createTerminalProgress({ isTTY: false, write: (s) => lines.push(s) }, { logIntervalMs: 5000, now: () => t });
    p.onProgress(ev({ phase: 'start', bytesTotal: 100 }));
    for (let i = 1; i <= 10; i++) {
      t += 1000;
      p.onProgress(ev({ bytesDone: i * 5, bytesTotal: 100 }));
    }
    p.onProgress(ev({ phase: 'done', bytesDone: 100, bytesTotal: 100 }));
    // start, first download line, one every 5 s (t=6 s, 11 s... only 6 s within 10 s), done
    expect(lines.map((l) => /starting|done|%/.exec(l)?.[0])).toEqual(['starting', '%', '%', 'done']);
    expect(lines.every((l) => l.endsWith('\n'))).toBe(true);
  });
});
