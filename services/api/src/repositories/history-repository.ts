import { parseSummaryFields, type FrameSummary, type Redis, type RedisKeys } from '@riverwatch/common';

const READ_BATCH = 1000;

/** A camera's per-frame summaries: a stream whose ids follow capture time. */
export class HistoryRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Summaries captured in [fromMs, toMs], oldest first, at most `max` of them. */
  async range(cameraId: string, fromMs: number, toMs: number, max: number): Promise<FrameSummary[]> {
    const key = this.keys.frameSummaries(cameraId);
    const out: FrameSummary[] = [];
    let start = String(fromMs);
    while (out.length < max) {
      const entries = await this.redis.xrange(key, start, String(toMs), 'COUNT', READ_BATCH);
      for (const [, fields] of entries) {
        const summary = parseSummaryFields(fields);
        if (summary) out.push(summary);
      }
      if (entries.length < READ_BATCH) break;
      start = `(${entries.at(-1)![0]}`;
    }
    return out.slice(0, max);
  }

  /**
   * The summary of the newest frame captured. The stream's last entry, unless that is a late
   * frame (committed after a newer one): a late frame is filed at the newest capture time, so
   * the newest frame is then among the entries of that millisecond.
   */
  async latest(cameraId: string): Promise<FrameSummary | null> {
    const key = this.keys.frameSummaries(cameraId);
    const [last] = await this.redis.xrevrange(key, '+', '-', 'COUNT', 1);
    const summary = last ? parseSummaryFields(last[1]) : null;
    const filedAt = last ? last[0].split('-')[0]! : '';
    if (!summary || String(summary.capturedAt) === filedAt) return summary;
    const sameMs = (await this.redis.xrange(key, filedAt, filedAt)).flatMap(([, f]) => parseSummaryFields(f) ?? []);
    return sameMs.reduce((newest, s) => (s.capturedAt > newest.capturedAt ? s : newest), summary);
  }
}
