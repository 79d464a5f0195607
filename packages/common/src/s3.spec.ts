import { describe, expect, it } from 'vitest';
import { EvidenceKeys } from './s3.ts';

describe('EvidenceKeys', () => {
  it('reads a mask key back to its capture time, under its camera folder', () => {
    const key = EvidenceKeys.mask('cam_1', 1700000000123);
    expect(key.startsWith(EvidenceKeys.maskFolder('cam_1'))).toBe(true);
    expect(EvidenceKeys.maskCapturedAt(key)).toBe(1700000000123);
  });

  it('gives NaN for objects riverwatch did not write', () => {
    for (const key of ['cam_1/notes.txt', 'cam_1/.png', 'cam_1/12ab.png', '1700000000123.png']) expect(EvidenceKeys.maskCapturedAt(key)).toBeNaN();
  });

  it('keeps an alert folder apart from another alert of the same camera whose id starts the same', () => {
    expect(EvidenceKeys.alertFolder('cam_1', 'alr_1')).toBe('cam_1/alr_1/');
    expect('cam_1/alr_10/f.jpg'.startsWith(EvidenceKeys.alertFolder('cam_1', 'alr_1'))).toBe(false);
  });
});
