import { describe, expect, it } from 'vitest';
import { ReceiverEstimatedMaxBitrate } from 'werift';
import { rembBitrateFields } from '../../../src/media/video-ingest.ts';

describe('REMB bitrate fields', () => {
  it('serialises the bitrate we ask for (werift writes only exponent and mantissa)', () => {
    for (const bitrate of [0, 1000, 262_143, 262_144, 2_500_000, 40_000_000]) {
      const fields = rembBitrateFields(bitrate);
      expect(fields.brMantissa).toBeLessThan(1 << 18);
      const packet = new ReceiverEstimatedMaxBitrate({ senderSsrc: 1, mediaSsrc: 0, ...fields, ssrcNum: 1, ssrcFeedbacks: [1234] });
      const back = ReceiverEstimatedMaxBitrate.deSerialize(packet.serialize());
      const decoded = Number(back.bitrate);
      expect(decoded).toBeLessThanOrEqual(bitrate);
      expect(decoded).toBeGreaterThanOrEqual(bitrate * 0.999 - 1);
      expect(back.ssrcFeedbacks).toEqual([1234]);
    }
  });

  it('rejects a negative bitrate', () => {
    expect(() => rembBitrateFields(-1)).toThrow(/non-negative/);
  });
});
