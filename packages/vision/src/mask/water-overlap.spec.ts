import { describe, expect, it } from 'vitest';
import { boxWaterOverlap, waterPixels } from './water-overlap.ts';
import { createWaterMask, resizeMask, waterShare } from './water-mask.ts';

/** 100x50 frame, water below the bank line y = 20. */
const river = () => {
  const m = createWaterMask(100, 50);
  m.data.fill(1, 20 * 100);
  return m;
};

describe('water overlap', () => {
  it('waterShare is the water fraction of the frame', () => {
    expect(waterShare(river())).toBe(0.6);
    expect(waterShare(createWaterMask(0, 0))).toBe(0);
  });

  it('gives 1 for a box on water, 0 on the bank, the share for a box across the bank line', () => {
    const m = river();
    expect(boxWaterOverlap(m, [10, 30, 20, 40])).toBe(1);
    expect(boxWaterOverlap(m, [10, 0, 20, 10])).toBe(0);
    expect(boxWaterOverlap(m, [0, 10, 10, 30])).toBe(0.5);
  });

  it('agrees with a brute-force count on random masks and boxes', () => {
    const m = createWaterMask(37, 23);
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < m.data.length; i++) m.data[i] = rnd() < 0.4 ? 1 : 0;
    for (let k = 0; k < 50; k++) {
      const x1 = Math.floor(rnd() * 37), y1 = Math.floor(rnd() * 23);
      const x2 = x1 + 1 + Math.floor(rnd() * (37 - x1)), y2 = y1 + 1 + Math.floor(rnd() * (23 - y1));
      let n = 0;
      for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) n += m.data[y * 37 + x]!;
      expect(waterPixels(m, x1, y1, x2, y2)).toBe(n);
    }
  });

  it('clips boxes to the frame and gives 0 for a box wholly outside, never NaN', () => {
    const m = river();
    expect(boxWaterOverlap(m, [90, 40, 150, 80])).toBe(1);
    expect(boxWaterOverlap(m, [200, 200, 210, 210])).toBe(0);
    expect(boxWaterOverlap(m, [-20, -20, -10, -10])).toBe(0);
  });

  it('counts a sub-pixel box as the pixel it sits in', () => {
    expect(boxWaterOverlap(river(), [50.2, 30.2, 50.4, 30.4])).toBe(1);
  });

  it('resizes masks nearest-neighbour', () => {
    const r = resizeMask(river(), 50, 25);
    expect([r.data[9 * 50], r.data[10 * 50]]).toEqual([0, 1]);
    expect(waterShare(r)).toBe(0.6);
  });
});
