import type { FrameSummary, HistoryBucket } from '@riverwatch/common';

export type BucketName = '1m' | '1h' | '1d';
export const BUCKET_MS: Record<BucketName, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };
/** Range shown when a request gives no `from`: a sensible screenful per bucket size. */
export const DEFAULT_SPAN_MS: Record<BucketName, number> = { '1m': 3_600_000, '1h': 86_400_000, '1d': 30 * 86_400_000 };

const round = (n: number) => Math.round(n * 1000) / 1000;

/**
 * Per UTC-aligned bucket: frames seen, per-class max (the most items in one
 * frame) and mean (items per frame, a frame without the class counting 0),
 * water coverage mean and max, and distinct track ids. Empty buckets are left out.
 */
export function aggregateHistory(summaries: FrameSummary[], bucketMs: number): HistoryBucket[] {
  const acc = new Map<number, { frames: number; max: Record<string, number>; sum: Record<string, number>; covSum: number; covMax: number; tracks: Set<number> }>();
  for (const s of summaries) {
    const start = Math.floor(s.capturedAt / bucketMs) * bucketMs;
    let b = acc.get(start);
    if (!b) acc.set(start, (b = { frames: 0, max: {}, sum: {}, covSum: 0, covMax: 0, tracks: new Set() }));
    b.frames++;
    for (const [cls, n] of Object.entries(s.counts ?? {})) {
      b.max[cls] = Math.max(b.max[cls] ?? 0, n);
      b.sum[cls] = (b.sum[cls] ?? 0) + n;
    }
    b.covSum += s.coverage ?? 0;
    b.covMax = Math.max(b.covMax, s.coverage ?? 0);
    for (const t of s.trackIds ?? []) b.tracks.add(t);
  }
  return [...acc.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, b]) => ({
      start,
      frames: b.frames,
      maxCounts: b.max,
      meanCounts: Object.fromEntries(Object.entries(b.sum).map(([cls, sum]) => [cls, round(sum / b.frames)])),
      coverage: { mean: round(b.covSum / b.frames), max: round(b.covMax) },
      uniqueItems: b.tracks.size,
    }));
}
