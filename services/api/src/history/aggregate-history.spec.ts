import { describe, expect, it } from 'vitest';
import type { FrameSummary } from '@riverwatch/common';
import { aggregateHistory, BUCKET_MS } from './aggregate-history.ts';

const summary = (capturedAt: number, counts: Record<string, number>, coverage: number, trackIds: number[]): FrameSummary => ({
  frameId: `frm_${capturedAt}`,
  capturedAt,
  processedAt: capturedAt + 50,
  counts,
  coverage,
  trackIds,
  newTracks: 0,
  models: {},
  latencyMs: 50,
});

describe('aggregateHistory', () => {
  const t0 = Date.UTC(2026, 0, 1, 10, 0, 0);
  const frames = [
    summary(t0 + 1_000, { bottle: 2 }, 0.1, [1, 2]),
    summary(t0 + 20_000, { bottle: 1, bag: 1 }, 0.3, [2, 3]),
    summary(t0 + 59_999, {}, 0, []),
    summary(t0 + 60_000, { foam: 4 }, 0.5, [7]),
  ];

  it('groups by UTC-aligned bucket with max and mean per class, coverage mean/max and distinct tracks', () => {
    const [a, b] = aggregateHistory(frames, BUCKET_MS['1m']);
    expect(a).toEqual({
      start: t0,
      frames: 3,
      maxCounts: { bottle: 2, bag: 1 },
      // A frame without the class counts as zero: 3 bottles over 3 frames.
      meanCounts: { bottle: 1, bag: 0.333 },
      coverage: { mean: 0.133, max: 0.3 },
      uniqueItems: 3,
    });
    expect(b).toMatchObject({ start: t0 + 60_000, frames: 1, maxCounts: { foam: 4 }, uniqueItems: 1 });
  });

  it('puts everything in one bucket when the bucket is large, and leaves empty buckets out', () => {
    expect(aggregateHistory(frames, BUCKET_MS['1h'])).toHaveLength(1);
    expect(aggregateHistory([], BUCKET_MS['1h'])).toEqual([]);
    const sparse = aggregateHistory([summary(t0, {}, 0, []), summary(t0 + 5 * 60_000, {}, 0, [])], BUCKET_MS['1m']);
    expect(sparse.map((x) => x.start)).toEqual([t0, t0 + 5 * 60_000]);
  });
});
