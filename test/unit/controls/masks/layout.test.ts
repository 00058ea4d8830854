import { describe, expect, it } from 'vitest';
import { LayoutBboxControl } from '../../../../controls/masks/layout.ts';

function blank(width: number, height: number, count: number) {
  return { width, height, count, data: new Uint8Array(width * height * count * 3) };
}

/** '#' where the pixel is the outline colour (black), '.' where white; checks there is nothing else. */
function ascii(data: Uint8Array, width: number, height: number, frame = 0): string[] {
  const rows: string[] = [];
  for (let y = 0; y < height; y++) {
    let row = '';
    for (let x = 0; x < width; x++) {
      const o = ((frame * height + y) * width + x) * 3;
      const px = [data[o], data[o + 1], data[o + 2]].join(',');
      expect(['0,0,0', '255,255,255']).toContain(px);
      row += px === '0,0,0' ? '#' : '.';
    }
    rows.push(row);
  }
  return rows;
}

describe('layout bbox control', () => {
  it('draws the OpenCV thickness-2 outline on white: 3-px bands, diagonal corner pixels left out', () => {
    // box (2,2)-(6,5): bands rows 1–3 and 4–6 over x 2…6, columns 1–3 and 5–7 over y 2…5
    const out = new LayoutBboxControl({ from: { x1: 2, y1: 2, x2: 6, y2: 5 }, to: { x1: 2, y1: 2, x2: 6, y2: 5 }, frames: 1 }).process(blank(10, 8, 1));
    expect(out.mask).toBeUndefined();
    expect(ascii(out.frames.data, 10, 8)).toEqual([
      '..........',
      '..#####...',
      '.#######..',
      '.#######..',
      '.#######..',
      '.#######..',
      '..#####...',
      '..........',
    ]);
  });

  it('moves the box per frame across chunks, then holds the end box', () => {
    const c = new LayoutBboxControl({ from: { x1: 2, y1: 2, x2: 6, y2: 6 }, to: { x1: 6, y1: 4, x2: 10, y2: 8 }, frames: 4 });
    const a = c.process(blank(16, 12, 3));
    const b = c.process(blank(16, 12, 3));
    // expected top-left per stream frame (see box.test.ts): x 2,3,4,5,6,6 ; y 2,2,3,3,4,4
    const xs = [2, 3, 4, 5, 6, 6];
    const ys = [2, 2, 3, 3, 4, 4];
    for (let i = 0; i < 6; i++) {
      const rows = ascii((i < 3 ? a : b).frames.data, 16, 12, i % 3);
      expect(rows[ys[i] + 2].indexOf('#')).toBe(xs[i] - 1); // left band starts one pixel left of x
      expect(rows.findIndex((r) => r[xs[i] + 2] === '#')).toBe(ys[i] - 1); // top band one row above y
      expect(rows[ys[i] + 2][xs[i] + 2]).toBe('.'); // inside stays white
    }
  });

  it('clips at the frame border and honours colours', () => {
    const out = new LayoutBboxControl({ from: { x1: 0, y1: 0, x2: 3, y2: 2 }, to: { x1: 0, y1: 0, x2: 3, y2: 2 }, frames: 1, color: [255, 0, 0], background: [0, 0, 255] }).process(blank(5, 4, 1));
    const at = (x: number, y: number) => Array.from(out.frames.data.subarray((y * 5 + x) * 3, (y * 5 + x) * 3 + 3));
    expect(at(0, 0)).toEqual([255, 0, 0]);
    expect(at(4, 3)).toEqual([0, 0, 255]);
    expect(at(4, 0)).toEqual([255, 0, 0]); // right band x+w−1…x+w+1 = 2…4
  });
});
