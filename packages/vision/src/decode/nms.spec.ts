import { describe, expect, it } from 'vitest';
import { iou } from './box.ts';
import { nms } from './nms.ts';

describe('iou', () => {
  it('is 1/7 for 2x2 boxes offset by one, 0 for disjoint or empty boxes', () => {
    expect(iou([0, 0, 2, 2], [1, 1, 3, 3])).toBeCloseTo(1 / 7, 12);
    expect(iou([0, 0, 1, 1], [2, 2, 3, 3])).toBe(0);
    expect(iou([0, 0, 0, 0], [0, 0, 0, 0])).toBe(0);
  });
});

describe('nms', () => {
  const a = { box: [0, 0, 10, 10], score: 0.9, classId: 0 };
  const aDup = { box: [1, 0, 11, 10], score: 0.8, classId: 0 }; // IoU 9/11 with a
  const aOther = { box: [1, 0, 11, 10], score: 0.7, classId: 1 };
  const far = { box: [50, 50, 60, 60], score: 0.5, classId: 0 };

  it('keeps the best of overlapping boxes of a class, highest score first', () => {
    expect(nms([far, aDup, a], { iouThreshold: 0.5 })).toEqual([a, far]);
  });

  it('is class-aware unless agnostic', () => {
    expect(nms([a, aOther], { iouThreshold: 0.5 })).toEqual([a, aOther]);
    expect(nms([a, aOther], { iouThreshold: 0.5, agnostic: true })).toEqual([a]);
  });

  it('keeps boxes whose overlap is at or below the threshold', () => {
    expect(nms([a, aDup], { iouThreshold: 0.9 })).toEqual([a, aDup]);
  });

  it('stops at maxDetections', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ box: [i * 20, 0, i * 20 + 10, 10], score: i / 20, classId: 0 }));
    const kept = nms(many, { iouThreshold: 0.5, maxDetections: 3 });
    expect(kept.map((k) => k.score)).toEqual([19 / 20, 18 / 20, 17 / 20]);
  });
});
