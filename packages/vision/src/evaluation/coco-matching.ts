import { iou } from '../decode/box.ts';

/** numpy.linspace's arithmetic, so thresholds equal the training kit's bit for bit. */
function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

export const IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
export const RECALL_POINTS = linspace(0, 1, 101);
export const MAX_DETECTIONS = 100;

export interface ScoredBox {
  score: number;
  box: readonly number[];
}

/**
 * pycocotools' greedy matching for one image and class. `dets` must already be
 * sorted by score (stable) and truncated. Returns tp[thresholdIndex][det].
 * On equal IoU the later ground truth wins, as in pycocotools.
 */
export function matchImage(dets: readonly ScoredBox[], gts: readonly (readonly number[])[]): Uint8Array[] {
  if (dets.length === 0 || gts.length === 0) return IOU_THRESHOLDS.map(() => new Uint8Array(dets.length));
  const ious = iouMatrix(dets, gts);
  return IOU_THRESHOLDS.map((t) => greedyMatch(ious, t, gts.length).tp);
}

/** Which ground truths the same matching at IoU 0.5 gives a detection (`dets` sorted by score). */
export function foundGroundTruths(dets: readonly ScoredBox[], gts: readonly (readonly number[])[]): Uint8Array {
  if (dets.length === 0 || gts.length === 0) return new Uint8Array(gts.length);
  return greedyMatch(iouMatrix(dets, gts), IOU_THRESHOLDS[0]!, gts.length).taken;
}

function iouMatrix(dets: readonly ScoredBox[], gts: readonly (readonly number[])[]): number[][] {
  return dets.map((d) => gts.map((g) => iou(d.box, g)));
}

/** One threshold of the matching: TP flag per detection, taken flag per ground truth. */
function greedyMatch(ious: readonly (readonly number[])[], t: number, nGt: number): { tp: Uint8Array; taken: Uint8Array } {
  const tp = new Uint8Array(ious.length);
  const taken = new Uint8Array(nGt);
  for (let di = 0; di < ious.length; di++) {
    let best = Math.min(t, 1 - 1e-10);
    let bi = -1;
    for (let gi = 0; gi < nGt; gi++) {
      if (taken[gi] || ious[di]![gi]! < best) continue;
      best = ious[di]![gi]!;
      bi = gi;
    }
    if (bi >= 0) {
      taken[bi] = 1;
      tp[di] = 1;
    }
  }
  return { tp, taken };
}

/** 101-point interpolated AP from TP flags in descending-score order; null without ground truth. */
export function averagePrecision(tpSorted: ArrayLike<number>, nGt: number): number | null {
  if (nGt === 0) return null;
  const n = tpSorted.length;
  const rc = new Float64Array(n);
  const pr = new Float64Array(n);
  let tps = 0;
  let fps = 0;
  for (let i = 0; i < n; i++) {
    if (tpSorted[i]) tps++;
    else fps++;
    rc[i] = tps / nGt;
    pr[i] = tps / Math.max(tps + fps, Number.EPSILON);
  }
  for (let i = n - 1; i > 0; i--) if (pr[i]! > pr[i - 1]!) pr[i - 1] = pr[i]!;
  let sum = 0;
  let idx = 0;
  for (const r of RECALL_POINTS) {
    // searchsorted(side=left): first index with recall >= r (recall never decreases).
    while (idx < n && rc[idx]! < r) idx++;
    sum += idx < n ? pr[idx]! : 0;
  }
  return sum / RECALL_POINTS.length;
}
