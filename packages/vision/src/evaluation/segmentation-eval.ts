import type { WaterMask } from '../mask/water-mask.ts';
import { resizeMask } from '../mask/water-mask.ts';

export interface SegmentationEvaluation {
  /** Pooled: total intersection / total union over all pixels of all images. */
  iou: number;
  /** Mean of per-image IoUs (an image where both masks are empty counts 1). */
  meanIoU: number;
  images: number;
}

export function maskIntersectionUnion(pred: WaterMask, truth: WaterMask): { intersection: number; union: number } {
  const p = resizeMask(pred, truth.width, truth.height);
  let intersection = 0, union = 0;
  for (let i = 0; i < truth.data.length; i++) {
    const a = p.data[i]!, b = truth.data[i]!;
    intersection += a & b;
    union += a | b;
  }
  return { intersection, union };
}

/** Segmenter IoU at the ground truth's resolution, as training/evaluate.py --pred-masks computes it. */
export function evaluateMasks(pairs: readonly { pred: WaterMask; truth: WaterMask }[]): SegmentationEvaluation {
  let inter = 0, uni = 0, sum = 0;
  for (const { pred, truth } of pairs) {
    const { intersection, union } = maskIntersectionUnion(pred, truth);
    inter += intersection;
    uni += union;
    sum += union ? intersection / union : 1;
  }
  const r = (x: number) => Math.round(x * 1e6) / 1e6;
  return { iou: r(uni ? inter / uni : 1), meanIoU: r(pairs.length ? sum / pairs.length : 0), images: pairs.length };
}
