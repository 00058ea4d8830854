/** Small H.264 Annex-B helpers for the ingest path. */

/** NAL unit types of an Annex-B byte stream (00 00 01 / 00 00 00 01 start codes). */
export function annexBNalTypes(data: Uint8Array): number[] {
  const types: number[] = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      types.push(data[i + 3] & 0x1f);
      i += 3;
    }
  }
  return types;
}

/**
 * Whether an access unit can start decoding: it holds an IDR slice (type 5). werift's own test
 * only looks at the RTP packet's NAL type, so an IDR inside a STAP-A aggregate (how OpenH264 in
 * Chromium sends small keyframes: SPS + PPS + IDR in one packet) was never seen as a keyframe.
 */
export function isH264Keyframe(accessUnit: Uint8Array): boolean {
  return annexBNalTypes(accessUnit).includes(5);
}
