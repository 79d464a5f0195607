import { iou } from './box.ts';

export interface NmsCandidate {
  box: readonly number[];
  score: number;
  classId: number;
}

export interface NmsOptions {
  iouThreshold: number;
  /** Suppress across classes (one box per object whatever its class). */
  agnostic?: boolean;
  maxDetections?: number;
}

/**
 * Greedy non-maximum suppression: highest score first, drop later boxes that
 * overlap a kept one by more than iouThreshold (same class unless agnostic).
 * Returns the kept candidates, highest score first.
 */
export function nms<T extends NmsCandidate>(candidates: readonly T[], opts: NmsOptions): T[] {
  const max = opts.maxDetections ?? 300;
  const order = candidates.map((_, i) => i).sort((a, b) => candidates[b]!.score - candidates[a]!.score);
  const kept: T[] = [];
  const removed = new Uint8Array(candidates.length);
  for (let oi = 0; oi < order.length && kept.length < max; oi++) {
    const i = order[oi]!;
    if (removed[i]) continue;
    const c = candidates[i]!;
    kept.push(c);
    for (let oj = oi + 1; oj < order.length; oj++) {
      const j = order[oj]!;
      if (removed[j]) continue;
      const d = candidates[j]!;
      if (!opts.agnostic && d.classId !== c.classId) continue;
      if (iou(c.box, d.box) > opts.iouThreshold) removed[j] = 1;
    }
  }
  return kept;
}
