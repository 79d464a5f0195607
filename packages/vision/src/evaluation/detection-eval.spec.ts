import { describe, expect, it } from 'vitest';
import { averagePrecision, foundGroundTruths, IOU_THRESHOLDS, matchImage, RECALL_POINTS } from './coco-matching.ts';
import { evaluateDetections, sizeBucketIndex, type GroundTruthImage } from './detection-eval.ts';
import type { ImagePredictions } from './predictions.ts';

type Det = ImagePredictions['detections'][number];
const gt = (id: string, ...objects: [number, number, number, number, number][]): GroundTruthImage => ({ id, objects: objects.map(([classId, ...box]) => ({ classId, box })) });
const det = (classId: number, score: number, box: [number, number, number, number]): Det => ({ classId, score, box });
const preds = (entries: Record<string, Det[]>) => new Map(Object.entries(entries));
const names = ['bottle', 'bag'];

describe('COCO constants', () => {
  it('match numpy.linspace', () => {
    expect(IOU_THRESHOLDS).toHaveLength(10);
    expect(IOU_THRESHOLDS[9]).toBe(0.95);
    expect(RECALL_POINTS).toHaveLength(101);
    expect(RECALL_POINTS[100]).toBe(1);
  });
});

describe('averagePrecision', () => {
  it('interpolates at 101 recall points: TP, FP, TP over 2 objects = (51 + 50 * 2/3) / 101', () => {
    expect(averagePrecision([1, 0, 1], 2)).toBeCloseTo((51 + (50 * 2) / 3) / 101, 12);
  });

  it('is 0 with no detections and null without ground truth', () => {
    expect(averagePrecision([], 3)).toBe(0);
    expect(averagePrecision([1], 0)).toBeNull();
  });
});

describe('matchImage', () => {
  it('lets the later ground truth win an exact IoU tie, as pycocotools does', () => {
    // The first detection ties (IoU 100/120) with both objects and must take the later one,
    // leaving the earlier object for the second detection, which it fits exactly (a hit even at 0.95).
    const tp = matchImage([{ score: 1, box: [0, 0, 10, 10] }, { score: 0.5, box: [0, 0, 10, 12] }], [[0, 0, 10, 12], [0, -2, 10, 10]]);
    expect(tp[9]![1]).toBe(1);
  });

  it('tells which ground truths were found, each by one detection at most', () => {
    const found = foundGroundTruths([{ score: 1, box: [0, 0, 10, 10] }, { score: 0.9, box: [0, 0, 10, 10] }], [[0, 0, 10, 10], [50, 50, 60, 60], [1, 0, 11, 10]]);
    expect([...found]).toEqual([1, 0, 1]); // the duplicate takes the next-best object, IoU 0.82
  });
});

describe('recall by object size', () => {
  it('buckets by the longer side: under 16 px, 16 to under 32, 32 and over', () => {
    expect([[0, 0, 15.9, 40 / 3], [5, 5, 21, 6], [0, 0, 8, 31.99], [0, 0, 32, 1], [0, 0, 300, 200]].map(sizeBucketIndex)).toEqual([0, 1, 1, 2, 2]);
  });

  it('counts an object found only when a detection at or above the score threshold matches it at IoU 0.5', () => {
    const r = evaluateDetections(
      // Small 10 px found; small 12 px found only below the threshold; medium 16x4 found; large 40 px missed (IoU 0.24).
      [gt('a', [0, 0, 0, 10, 10], [0, 100, 100, 112, 112], [1, 500, 10, 516, 14]), gt('b', [1, 100, 100, 140, 140])],
      preds({ a: [det(0, 0.9, [0, 0, 10, 10]), det(0, 0.2, [100, 100, 112, 112]), det(1, 0.5, [500, 10, 516, 14])], b: [det(1, 0.8, [115, 115, 155, 155])] }),
      names,
      { scoreThreshold: 0.25 },
    );
    expect(r.recallBySize).toEqual({
      small: { minPx: 0, maxPx: 16, recall: 0.5, labels: 2 },
      medium: { minPx: 16, maxPx: 32, recall: 1, labels: 1 },
      large: { minPx: 32, maxPx: null, recall: 0, labels: 1 },
    });
  });

  it('reports null recall for a size without labels, and pools classes (agnostic or not)', () => {
    const g = [gt('a', [0, 0, 0, 10, 10], [1, 20, 20, 30, 30])];
    const p = preds({ a: [det(1, 0.9, [0, 0, 10, 10])] });
    expect(evaluateDetections(g, p, names).recallBySize.small).toEqual({ minPx: 0, maxPx: 16, recall: 0, labels: 2 });
    expect(evaluateDetections(g, p, names, { agnostic: true }).recallBySize.small.recall).toBe(0.5);
    expect(evaluateDetections(g, p, names).recallBySize.medium).toEqual({ minPx: 16, maxPx: 32, recall: null, labels: 0 });
  });
});

describe('evaluateDetections', () => {
  it('scores perfect predictions 1 everywhere', () => {
    const r = evaluateDetections([gt('a', [0, 0, 0, 10, 10], [1, 20, 20, 40, 40])], preds({ a: [det(0, 0.9, [0, 0, 10, 10]), det(1, 0.8, [20, 20, 40, 40])] }), names);
    expect([r.mAP50, r.mAP50_95, r.precision, r.recall]).toEqual([1, 1, 1, 1]);
    expect(r.perClass.bag).toEqual({ ap50: 1, ap50_95: 1, precision: 1, recall: 1, labels: 1 });
  });

  it('gives AP@0.5:0.95 = 0.5 for a box with IoU 0.72 (a hit at 0.50..0.70, a miss at 0.75..0.95)', () => {
    const r = evaluateDetections([gt('a', [0, 0, 0, 10, 10])], preds({ a: [det(0, 0.9, [0, 0, 10, 7.2])] }), ['bottle']);
    expect(r.mAP50).toBe(1);
    expect(r.mAP50_95).toBe(0.5);
  });

  it('leaves classes without ground truth out of the means and reports their AP as null', () => {
    const r = evaluateDetections([gt('a', [0, 0, 0, 10, 10])], preds({ a: [det(0, 0.9, [0, 0, 10, 10]), det(1, 0.9, [50, 50, 60, 60])] }), names);
    expect(r.perClass.bag).toEqual({ ap50: null, ap50_95: null, precision: 0, recall: null, labels: 0 });
    expect(r.mAP50).toBe(1);
    expect(r.precision).toBe(0.5); // micro average: 1 TP of 2 detections
  });

  it('matches across classes only with agnostic', () => {
    const g = [gt('a', [0, 0, 0, 10, 10])];
    const p = preds({ a: [det(1, 0.9, [0, 0, 10, 10])] });
    expect(evaluateDetections(g, p, names).mAP50).toBe(0);
    const a = evaluateDetections(g, p, names, { agnostic: true });
    expect(a.mAP50).toBe(1);
    expect(Object.keys(a.perClass)).toEqual(['object']);
  });

  it('pools images, ranks by score and interpolates (TP 0.9, FP 0.8, TP 0.7 over 2 objects)', () => {
    const r = evaluateDetections(
      [gt('a', [0, 0, 0, 10, 10]), gt('b', [0, 0, 0, 10, 10])],
      preds({ a: [det(0, 0.9, [0, 0, 10, 10]), det(0, 0.8, [30, 30, 40, 40])], b: [det(0, 0.7, [0, 0, 10, 10])] }),
      ['bottle'],
    );
    expect(r.mAP50).toBeCloseTo((51 + (50 * 2) / 3) / 101, 6);
  });

  it('keeps only the 100 best detections per image and class', () => {
    const fps = Array.from({ length: 100 }, (_, i) => det(0, 0.9 - i * 0.001, [100 + i, 100, 105 + i, 105]));
    const r = evaluateDetections([gt('a', [0, 0, 0, 10, 10])], preds({ a: [...fps, det(0, 0.1, [0, 0, 10, 10])] }), ['bottle']);
    expect(r.mAP50).toBe(0);
    expect(r.detections).toBe(100);
  });

  it('counts precision and recall only at or above the score threshold', () => {
    const g = [gt('a', [0, 0, 0, 10, 10], [0, 20, 20, 30, 30])];
    const p = preds({ a: [det(0, 0.9, [0, 0, 10, 10]), det(0, 0.2, [20, 20, 30, 30]), det(0, 0.3, [50, 50, 60, 60])] });
    const r = evaluateDetections(g, p, ['bottle'], { scoreThreshold: 0.25 });
    expect([r.precision, r.recall]).toEqual([0.5, 0.5]);
    expect(r.mAP50).toBeGreaterThan(0.5); // mAP still sees the low-scored hit
  });

  it('ignores predictions for images not in the dataset and treats missing entries as no detections', () => {
    const r = evaluateDetections([gt('a', [0, 0, 0, 10, 10])], preds({ zzz: [det(0, 0.9, [0, 0, 10, 10])] }), ['bottle']);
    expect([r.mAP50, r.detections, r.images, r.labels]).toEqual([0, 0, 1, 1]);
  });
});
