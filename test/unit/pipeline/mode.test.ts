import { describe, expect, it } from 'vitest';
import { inferVaceMode, maskIsMixed, type VaceInputPresence } from '../../../src/pipeline/mode.ts';

const frames = {};
const image = {};
const ones = { data: Float32Array.from([1, 0.9, 0.51]) };
const mixed = { data: Float32Array.from([1, 0.5, 1]) };

interface Expected {
  kind: string;
  label: string;
  encodePath: string;
  inactive: boolean;
  reactive: boolean;
  staticContext: boolean;
  masked: boolean;
}

const cases: [string, VaceInputPresence, Expected][] = [
  ['text only', {}, { kind: 'text', label: 'text', encodePath: 'none', inactive: false, reactive: false, staticContext: false, masked: false }],
  ['conditioning, no mask', { frames }, { kind: 'conditioning', label: 'conditioning', encodePath: 'masked', inactive: true, reactive: true, staticContext: false, masked: false }],
  ['conditioning, mask all > 0.5', { frames, mask: ones }, { kind: 'conditioning', label: 'conditioning', encodePath: 'masked', inactive: true, reactive: true, staticContext: false, masked: false }],
  ['inpainting/outpainting (mixed mask)', { frames, mask: mixed }, { kind: 'inpainting', label: 'inpainting', encodePath: 'masked', inactive: true, reactive: false, staticContext: false, masked: true }],
  ['reference only', { references: [image] }, { kind: 'reference', label: 'reference', encodePath: 'reference-only', inactive: false, reactive: false, staticContext: true, masked: false }],
  ['conditioning + refs', { frames, references: [image, image] }, { kind: 'conditioning', label: 'conditioning+refs', encodePath: 'masked', inactive: true, reactive: true, staticContext: false, masked: false }],
  ['outpaint + refs', { frames, mask: mixed, references: [image] }, { kind: 'inpainting', label: 'inpainting+refs', encodePath: 'masked', inactive: true, reactive: false, staticContext: false, masked: true }],
  ['extension, first frame', { firstFrame: image }, { kind: 'extension', label: 'extension(first)', encodePath: 'masked', inactive: true, reactive: false, staticContext: true, masked: true }],
  ['extension, last frame', { lastFrame: image }, { kind: 'extension', label: 'extension(last)', encodePath: 'masked', inactive: true, reactive: false, staticContext: true, masked: true }],
  ['extension, first and last', { firstFrame: image, lastFrame: image }, { kind: 'extension', label: 'extension(first-last)', encodePath: 'masked', inactive: true, reactive: false, staticContext: true, masked: true }],
  ['extension + conditioning', { lastFrame: image, frames }, { kind: 'extension', label: 'extension(last)+conditioning', encodePath: 'masked', inactive: true, reactive: false, staticContext: false, masked: true }],
  ['extension + inpainting', { firstFrame: image, frames, mask: mixed }, { kind: 'extension', label: 'extension(first)+inpainting', encodePath: 'masked', inactive: true, reactive: false, staticContext: false, masked: true }],
  ['extension + refs', { firstFrame: image, references: [image] }, { kind: 'extension', label: 'extension(first)+refs', encodePath: 'masked', inactive: true, reactive: false, staticContext: true, masked: true }],
  ['extension + conditioning + refs', { firstFrame: image, lastFrame: image, frames, mask: ones, references: [image, image, image] }, { kind: 'extension', label: 'extension(first-last)+conditioning+refs', encodePath: 'masked', inactive: true, reactive: false, staticContext: false, masked: true }],
  ['an empty reference list is text only', { references: [] }, { kind: 'text', label: 'text', encodePath: 'none', inactive: false, reactive: false, staticContext: false, masked: false }],
];

describe('inferVaceMode', () => {
  for (const [name, inputs, want] of cases) {
    it(name, () => {
      const mode = inferVaceMode(inputs);
      expect({
        kind: mode.kind,
        label: mode.label,
        encodePath: mode.encodePath,
        inactive: mode.caches.inactive,
        reactive: mode.caches.reactive,
        staticContext: mode.staticContext,
        masked: mode.masked,
      }).toEqual(want);
      expect(mode.usesVace).toBe(want.kind !== 'text');
      expect(mode.caches.references).toBe(false);
      expect(mode.referenceCount).toBe(inputs.references?.length ?? 0);
      expect(mode.conditioning).toBe(inputs.frames !== undefined);
    });
  }

  it('reports the extension anchors', () => {
    expect(inferVaceMode({}).extension).toBe('none');
    expect(inferVaceMode({ firstFrame: image }).extension).toBe('first');
    expect(inferVaceMode({ lastFrame: image }).extension).toBe('last');
    expect(inferVaceMode({ firstFrame: image, lastFrame: image }).extension).toBe('first-last');
  });

  it('every combination: precedence extension > conditioning > reference, refs never cached', () => {
    const masks = [undefined, ones, mixed];
    for (const hasFrames of [false, true]) {
      for (const mask of hasFrames ? masks : [undefined]) {
        for (const firstFrame of [undefined, image]) {
          for (const lastFrame of [undefined, image]) {
            for (const refs of [0, 1, 3]) {
              const inputs: VaceInputPresence = { frames: hasFrames ? frames : undefined, mask, firstFrame, lastFrame, references: Array.from({ length: refs }, () => image) };
              const mode = inferVaceMode(inputs);
              const ext = firstFrame !== undefined || lastFrame !== undefined;
              const expectedKind = ext ? 'extension' : hasFrames ? (mask === mixed ? 'inpainting' : 'conditioning') : refs > 0 ? 'reference' : 'text';
              expect(mode.kind, JSON.stringify({ hasFrames, mask: mask && [...mask.data], ext, refs })).toBe(expectedKind);
              expect(mode.caches.references).toBe(false);
              expect(mode.caches.reactive).toBe(!ext && hasFrames && mask !== mixed);
            }
          }
        }
      }
    }
  });

  it('rejects a mask without control frames', () => {
    expect(() => inferVaceMode({ mask: ones })).toThrow(/mask was given without control frames/);
  });
});

describe('maskIsMixed', () => {
  it('uses the strict > 0.5 split: 0.5 counts as inactive', () => {
    expect(maskIsMixed(undefined)).toBe(false);
    expect(maskIsMixed({ data: [1, 0.500001] })).toBe(false);
    expect(maskIsMixed({ data: [1, 0.5] })).toBe(true);
    expect(maskIsMixed({ data: [0, 0] })).toBe(true);
  });
});
