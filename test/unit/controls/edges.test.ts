import { describe, expect, it } from 'vitest';
import { CannyEdgeDetector, gaussianKernel } from '../../../controls/canny.ts';
import { EdgesControl } from '../../../controls/edges.ts';
import type { RgbFrames } from '../../../src/frames.ts';
import type { ControlOutput } from '../../../controls/types.ts';

/** Gray frame from a per-pixel level function. */
function grayFrame(width: number, height: number, level: (x: number, y: number) => number): RgbFrames {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.fill(level(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, count: 1, data };
}

/** Single-channel view of an edge output: 1 where white, 0 where black; checks R = G = B ∈ {0, 255}. */
function edgeMap(output: ControlOutput, frame = 0): number[][] {
  const out = output.frames;
  expect(output.mask).toBeUndefined();
  expect(out.data.length).toBe(out.width * out.height * 3 * out.count);
  const rows: number[][] = [];
  const base = frame * out.width * out.height * 3;
  for (let y = 0; y < out.height; y++) {
    const row: number[] = [];
    for (let x = 0; x < out.width; x++) {
      const o = base + (y * out.width + x) * 3;
      const v = out.data[o];
      expect(out.data[o + 1]).toBe(v);
      expect(out.data[o + 2]).toBe(v);
      expect(v === 0 || v === 255).toBe(true);
      row.push(v === 255 ? 1 : 0);
    }
    rows.push(row);
  }
  return rows;
}

function columnMap(width: number, height: number, column: number): number[][] {
  return Array.from({ length: height }, () => Array.from({ length: width }, (_, x) => (x === column ? 1 : 0)));
}

describe('edges control (Canny)', () => {
  it('gaussian kernel is normalised and symmetric', () => {
    const k = gaussianKernel(1.4, 4);
    expect(k.length).toBe(9);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    for (let i = 0; i < 4; i++) expect(k[i]).toBeCloseTo(k[8 - i], 7);
  });

  it('a flat frame has no edges', () => {
    const out = new EdgesControl().process(grayFrame(7, 5, () => 90));
    expect(edgeMap(out)).toEqual(Array.from({ length: 5 }, () => [0, 0, 0, 0, 0, 0, 0]));
  });

  it('a vertical black→white step gives one white column on the dark side of the boundary', () => {
    // Blurred step between x=3 and x=4 is symmetric, so both columns have equal gradient;
    // the strict/≥ tie break of non-maximum suppression keeps x=3 only.
    const out = new EdgesControl().process(grayFrame(8, 6, (x) => (x < 4 ? 0 : 255)));
    expect(edgeMap(out)).toEqual(columnMap(8, 6, 3));
  });

  it('a horizontal step gives one white row, on a non-square frame', () => {
    const out = new EdgesControl().process(grayFrame(5, 9, (_x, y) => (y < 5 ? 200 : 20)));
    const want = Array.from({ length: 9 }, (_, y) => Array.from({ length: 5 }, () => (y === 4 ? 1 : 0)));
    expect(edgeMap(out)).toEqual(want);
  });

  it('hysteresis keeps a weak run connected to a strong one and drops weak-only edges', () => {
    // No blur. Right half brightens upward: R(y) = 240 − 10·y, left half black. Along the boundary
    // the Sobel x-response is 4·R(y) (strong, ≥ 500, for y ≤ 11; weak, 360–480, for y = 12–15).
    // Column 4 carries a slightly larger magnitude than column 3 (it also sees the vertical ramp),
    // so the line sits at x = 4.
    const ramp = grayFrame(8, 16, (x, y) => (x < 4 ? 0 : 240 - 10 * y));
    expect(edgeMap(new EdgesControl({ sigma: 0, low: 100, high: 500 }).process(ramp))).toEqual(columnMap(8, 16, 4));
    // Only strong pixels survive without a connection: with high above every magnitude nothing is left.
    expect(edgeMap(new EdgesControl({ sigma: 0, low: 100, high: 1000 }).process(ramp))).toEqual(columnMap(8, 16, -1));
    // Below low nothing is even a candidate.
    expect(edgeMap(new EdgesControl({ sigma: 0, low: 990, high: 990 }).process(ramp))).toEqual(columnMap(8, 16, -1));
  });

  it('processes every frame of a batch independently and reuses its buffers across sizes', () => {
    const w = 8, h = 6;
    const data = new Uint8Array(w * h * 3 * 2);
    const a = grayFrame(w, h, (x) => (x < 4 ? 0 : 255)).data;
    const b = grayFrame(w, h, () => 255).data;
    data.set(a, 0);
    data.set(b, a.length);
    const control = new EdgesControl();
    const out = control.process({ width: w, height: h, count: 2, data });
    expect(edgeMap(out, 0)).toEqual(columnMap(w, h, 3));
    expect(edgeMap(out, 1)).toEqual(columnMap(w, h, -1));
    // Size change, then back: results stay exact.
    control.process(grayFrame(5, 9, (_x, y) => (y < 5 ? 200 : 20)));
    expect(edgeMap(control.process(grayFrame(w, h, (x) => (x < 4 ? 0 : 255))))).toEqual(columnMap(w, h, 3));
  });

  it('options left undefined fall back to the defaults', () => {
    expect(new EdgesControl({ sigma: undefined, low: 30 }).params).toEqual({ sigma: 1.4, low: 30, high: 110 });
  });

  it('rejects thresholds in the wrong order', () => {
    expect(() => new CannyEdgeDetector({ sigma: 1, low: 10, high: 5 })).toThrow(/low ≤ high/);
  });
});
