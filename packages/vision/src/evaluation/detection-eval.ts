import type { LabelledObject } from './yolo-dataset.ts';
import type { ImagePredictions } from './predictions.ts';
import { averagePrecision, foundGroundTruths, IOU_THRESHOLDS, matchImage, MAX_DETECTIONS } from './coco-matching.ts';

export interface ClassEvaluation {
  /** null when the class has no ground truth (left out of the means). */
  ap50: number | null;
  ap50_95: number | null;
  precision: number;
  recall: number | null;
  labels: number;
}

/**
 * Recall of the labelled objects of one size, where size is the longer side of the
 * labelled box in image pixels and the bucket holds minPx <= size < maxPx.
 */
export interface SizeBucketRecall {
  minPx: number;
  /** null: no upper bound. */
  maxPx: number | null;
  /** At IoU 0.5 and the score threshold, like `recall`; null without labels of this size. */
  recall: number | null;
  labels: number;
}

/** Under 16 px is what a frame shrunk to the detector's input loses first. */
export const SIZE_BUCKETS = [
  { name: 'small', minPx: 0, maxPx: 16 },
  { name: 'medium', minPx: 16, maxPx: 32 },
  { name: 'large', minPx: 32, maxPx: null },
] as const;

export type SizeBucketName = (typeof SIZE_BUCKETS)[number]['name'];

/** The same object (and keys) as training/evaluate.py prints. */
export interface DetectionEvaluation {
  mAP50: number;
  mAP50_95: number;
  precision: number;
  recall: number;
  images: number;
  labels: number;
  detections: number;
  scoreThreshold: number;
  agnostic: boolean;
  perClass: Record<string, ClassEvaluation>;
  recallBySize: Record<SizeBucketName, SizeBucketRecall>;
}

export interface EvaluateOptions {
  /** Map every class to one ("object"), for datasets labelled with a single class. */
  agnostic?: boolean;
  /** Precision and recall count detections at or above this score (default 0.25). mAP uses all. */
  scoreThreshold?: number;
}

export interface GroundTruthImage {
  id: string;
  objects: readonly LabelledObject[];
}

interface ClassAccumulator {
  scores: number[];
  /** Per IoU threshold, TP flags in pooled order. */
  tp: number[][];
  nGt: number;
  nDetAtThreshold: number;
  tpAtThreshold: number;
}

/**
 * COCO-style (pycocotools bbox rules, iscrowd 0, all areas, maxDets 100) precision,
 * recall, AP@0.5 and AP@0.5:0.95 per class and overall. The rules, step by step,
 * are written down in training/evaluate.py; this is the same computation.
 */
export function evaluateDetections(groundTruth: readonly GroundTruthImage[], predictions: ReadonlyMap<string, ImagePredictions['detections']>, names: readonly string[], opts: EvaluateOptions = {}): DetectionEvaluation {
  const agnostic = opts.agnostic ?? false;
  const scoreThreshold = opts.scoreThreshold ?? 0.25;
  const ncls = agnostic ? 1 : names.length;
  const per: ClassAccumulator[] = Array.from({ length: ncls }, () => ({ scores: [], tp: IOU_THRESHOLDS.map(() => []), nGt: 0, nDetAtThreshold: 0, tpAtThreshold: 0 }));
  const bySize = SIZE_BUCKETS.map(() => ({ found: 0, labels: 0 }));
  let nDet = 0;
  let nLab = 0;
  const images = [...groundTruth].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const img of images) {
    matchImageDetections(img.objects, predictions.get(img.id) ?? [], { classes: ncls, agnostic, scoreThreshold }).forEach(({ ranked, tp, labels, found }, c) => {
      const acc = per[c]!;
      ranked.forEach((d, di) => {
        acc.scores.push(d.score);
        tp.forEach((row, ti) => acc.tp[ti]!.push(row[di]!));
        if (d.score >= scoreThreshold) {
          acc.nDetAtThreshold++;
          acc.tpAtThreshold += tp[0]![di]!;
        }
      });
      labels.forEach((g, gi) => {
        const bucket = bySize[sizeBucketIndex(g)]!;
        bucket.found += found[gi]!;
        bucket.labels++;
      });
      acc.nGt += labels.length;
      nDet += ranked.length;
      nLab += labels.length;
    });
  }

  const outNames = agnostic ? ['object'] : names;
  const perClass: Record<string, ClassEvaluation> = {};
  const ap50s: number[] = [];
  const ap5095s: number[] = [];
  let TP = 0, ND = 0, NG = 0;
  per.forEach((acc, c) => {
    // Stable descending sort by score (numpy's mergesort on -score).
    const order = acc.scores.map((_, i) => i).sort((a, b) => acc.scores[b]! - acc.scores[a]! || a - b);
    const aps = acc.tp.map((row) => averagePrecision(order.map((i) => row[i]!), acc.nGt));
    const ap50 = aps[0]!;
    const ap5095 = ap50 === null ? null : mean(aps as number[]);
    if (ap50 !== null) {
      ap50s.push(ap50);
      ap5095s.push(ap5095!);
    }
    TP += acc.tpAtThreshold;
    ND += acc.nDetAtThreshold;
    NG += acc.nGt;
    perClass[outNames[c]!] = {
      ap50: round(ap50),
      ap50_95: round(ap5095),
      precision: round(acc.nDetAtThreshold ? acc.tpAtThreshold / acc.nDetAtThreshold : 0)!,
      recall: acc.nGt ? round(acc.tpAtThreshold / acc.nGt) : null,
      labels: acc.nGt,
    };
  });
  return {
    mAP50: round(ap50s.length ? mean(ap50s) : 0)!,
    mAP50_95: round(ap5095s.length ? mean(ap5095s) : 0)!,
    precision: round(ND ? TP / ND : 0)!,
    recall: round(NG ? TP / NG : 0)!,
    images: images.length,
    labels: nLab,
    detections: nDet,
    scoreThreshold,
    agnostic,
    perClass,
    recallBySize: recallBySize(bySize),
  };
}

/** One image's detections of one evaluated class, ranked and matched as precision, recall and mAP count them. */
export interface ClassMatching {
  /** By score, ties in input order, at most MAX_DETECTIONS. */
  ranked: ImagePredictions['detections'];
  /** tp[iouThresholdIndex][rank]: 1 where the detection matched a labelled object (index 0 is IoU 0.5). */
  tp: Uint8Array[];
  /** The labelled boxes of this class. */
  labels: LabelledObject['box'][];
  /** Per labelled box: 1 when a detection at or above the score threshold matched it at IoU 0.5. */
  found: Uint8Array;
}

/**
 * The matching behind evaluateDetections for one image, one entry per evaluated
 * class (a single one when agnostic). Other reports that need to know which
 * detections are false positives use this, so they count what precision counts.
 */
export function matchImageDetections(
  objects: readonly LabelledObject[],
  dets: ImagePredictions['detections'],
  opts: { classes: number; agnostic: boolean; scoreThreshold: number },
): ClassMatching[] {
  return Array.from({ length: opts.classes }, (_, c) => {
    const labels = objects.filter((o) => (opts.agnostic ? 0 : o.classId) === c).map((o) => o.box);
    const mine = dets.filter((d) => (opts.agnostic ? 0 : d.classId) === c);
    // Array.prototype.sort is stable: ties keep file order, as Python's sorted.
    const ranked = mine
      .map((d, i) => ({ d, i }))
      .sort((a, b) => b.d.score - a.d.score || a.i - b.i)
      .slice(0, MAX_DETECTIONS)
      .map(({ d }) => d);
    // ranked is sorted by score, so the detections at the threshold are a prefix of it.
    const found = foundGroundTruths(ranked.filter((d) => d.score >= opts.scoreThreshold), labels);
    return { ranked, tp: matchImage(ranked, labels), labels, found };
  });
}

/** Index into SIZE_BUCKETS of a labelled box (x1, y1, x2, y2) by its longer side (the buckets are in order). */
export function sizeBucketIndex(box: readonly number[]): number {
  const side = Math.max(box[2]! - box[0]!, box[3]! - box[1]!);
  return SIZE_BUCKETS.findIndex((b) => b.maxPx === null || side < b.maxPx);
}

function recallBySize(counts: readonly { found: number; labels: number }[]): Record<SizeBucketName, SizeBucketRecall> {
  const entries = SIZE_BUCKETS.map(({ name, minPx, maxPx }, i) => {
    const { found, labels } = counts[i]!;
    return [name, { minPx, maxPx, recall: labels ? round(found / labels) : null, labels }] as const;
  });
  return Object.fromEntries(entries) as Record<SizeBucketName, SizeBucketRecall>;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1e6) / 1e6;
}
