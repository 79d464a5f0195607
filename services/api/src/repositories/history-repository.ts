import type { FrameSummary, Redis, RedisKeys } from '@riverwatch/common';

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
        const summary = parseFields(fields);
        if (summary) out.push(summary);
      }
      if (entries.length < READ_BATCH) break;
      start = `(${entries.at(-1)![0]}`;
    }
    return out.slice(0, max);
  }

  async latest(cameraId: string): Promise<FrameSummary | null> {
    const [entry] = await this.redis.xrevrange(this.keys.frameSummaries(cameraId), '+', '-', 'COUNT', 1);
    return entry ? parseFields(entry[1]) : null;
  }
}

function parseFields(fields: string[]): FrameSummary | null {
  const i = fields.indexOf('json');
  if (i < 0 || i + 1 >= fields.length) return null;
  try {
    return JSON.parse(fields[i + 1]!) as FrameSummary;
  } catch {
    return null;
  }
}
