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
 * Returns the kept candidates, highest score first (ties in input order).
 *
 * Class-aware NMS runs per class (classes never suppress each other), then
 * merges; boxes live in typed arrays because evaluation at score 0.001 feeds
 * tens of thousands of candidates through here.
 */
export function nms<T extends NmsCandidate>(candidates: readonly T[], opts: NmsOptions): T[] {
  const max = opts.maxDetections ?? 300;
  const groups = new Map<number, number[]>();
  candidates.forEach((c, i) => {
    const key = opts.agnostic ? 0 : c.classId;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  });
  const kept: number[] = [];
  for (const idx of groups.values()) kept.push(...greedy(candidates, idx, opts.iouThreshold, max));
  kept.sort((a, b) => candidates[b]!.score - candidates[a]!.score || a - b);
  return kept.slice(0, max).map((i) => candidates[i]!);
}

/** Greedy suppression within one group of candidate indices; returns kept indices (at most `max`). */
function greedy(candidates: readonly NmsCandidate[], idx: number[], iouThreshold: number, max: number): number[] {
  idx.sort((a, b) => candidates[b]!.score - candidates[a]!.score || a - b);
  const n = idx.length;
  const x1 = new Float64Array(n), y1 = new Float64Array(n), x2 = new Float64Array(n), y2 = new Float64Array(n), area = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const b = candidates[idx[k]!]!.box;
    x1[k] = b[0]!;
    y1[k] = b[1]!;
    x2[k] = b[2]!;
    y2[k] = b[3]!;
    area[k] = Math.max(0, x2[k]! - x1[k]!) * Math.max(0, y2[k]! - y1[k]!);
  }
  const removed = new Uint8Array(n);
  const kept: number[] = [];
  for (let i = 0; i < n && kept.length < max; i++) {
    if (removed[i]) continue;
    kept.push(idx[i]!);
    const ax1 = x1[i]!, ay1 = y1[i]!, ax2 = x2[i]!, ay2 = y2[i]!, aa = area[i]!;
    for (let j = i + 1; j < n; j++) {
      if (removed[j]) continue;
      const w = Math.min(ax2, x2[j]!) - Math.max(ax1, x1[j]!);
      if (w <= 0) continue;
      const h = Math.min(ay2, y2[j]!) - Math.max(ay1, y1[j]!);
      if (h <= 0) continue;
      const inter = w * h;
      const union = aa + area[j]! - inter;
      if (union > 0 && inter / union > iouThreshold) removed[j] = 1;
    }
  }
  return kept;
}
