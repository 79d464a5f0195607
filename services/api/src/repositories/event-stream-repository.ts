import { duplicateRedis, type LiveEvent, type Redis, type RedisKeys } from '@riverwatch/common';

export interface StreamedEvent {
  /** The stream entry id: also the SSE id, so Last-Event-ID resumes exactly. */
  streamId: string;
  /** null for an entry that is not a readable LiveEvent (skipped, but its id still advances the cursor). */
  event: LiveEvent | null;
}

/**
 * One SSE client's reader of the shared live-event stream. XREAD BLOCK holds
 * its connection, so every reader has its own; any API replica reads the same stream.
 */
export class LiveEventReader {
  constructor(
    private readonly conn: Redis,
    private readonly key: string,
  ) {}

  /** Waits up to blockMs for entries after `afterId`; [] on timeout. */
  async read(afterId: string, blockMs: number): Promise<StreamedEvent[]> {
    const reply = (await this.conn.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', this.key, afterId)) as [string, [string, string[]][]][] | null;
    if (!reply) return [];
    const out: StreamedEvent[] = [];
    for (const [id, fields] of reply[0]![1]) {
      const i = fields.indexOf('json');
      let event: LiveEvent | null = null;
      try {
        event = JSON.parse(fields[i + 1] ?? 'null') as LiveEvent | null;
      } catch {
        event = null;
      }
      out.push({ streamId: id, event });
    }
    return out;
  }

  close(): void {
    this.conn.disconnect();
  }
}

export class EventStreamRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** The id of the newest entry, or 0-0: where a client without Last-Event-ID starts. */
  async latestId(): Promise<string> {
    const [entry] = await this.redis.xrevrange(this.keys.events(), '+', '-', 'COUNT', 1);
    return entry ? entry[0] : '0-0';
  }

  openReader(): LiveEventReader {
    const conn = duplicateRedis(this.redis, { maxRetriesPerRequest: null, lazyConnect: false });
    return new LiveEventReader(conn, this.keys.events());
  }
}
