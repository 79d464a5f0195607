import { mgetKeys, type AlertRecord, type AlertStatus, type AlertType, type Redis, type RedisKeys } from '@riverwatch/common';

export interface AlertQuery {
  cameraIds: string[] | null;
  types: AlertType[] | null;
  statuses: AlertStatus[] | null;
  fromMs: number | null;
  toMs: number | null;
  limit: number;
  after: { openedAt: number; id: string } | null;
}

export interface AlertPage {
  items: AlertRecord[];
  /** The last item of a full page; the next page starts after it. */
  last: { openedAt: number; id: string } | null;
}

const SCAN_BATCH = 200;

// Compare-and-set: the worker also rewrites alert records, so an operator's
// change only lands on the version it was computed from.
const REPLACE_IF_UNCHANGED = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  return 1
end
return 0`;

const DELETE_IF_EQUALS = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Alerts written by the worker: JSON per alert, a sorted set by openedAt. */
export class AlertRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(id: string): Promise<AlertRecord | null> {
    const json = await this.redis.get(this.keys.alert(id));
    return json ? (JSON.parse(json) as AlertRecord) : null;
  }

  /** Newest first, walking the index in batches until a page of matching alerts is full. */
  async page(q: AlertQuery): Promise<AlertPage> {
    let max = q.toMs ?? Number.POSITIVE_INFINITY;
    if (q.after) max = Math.min(max, q.after.openedAt);
    const maxArg = Number.isFinite(max) ? String(max) : '+inf';
    const minArg = q.fromMs === null ? '-inf' : String(q.fromMs);
    const items: AlertRecord[] = [];
    let offset = 0;
    let more = false;
    for (;;) {
      const batch = await this.redis.zrevrangebyscore(this.keys.alertIndex(), maxArg, minArg, 'WITHSCORES', 'LIMIT', offset, SCAN_BATCH);
      offset += batch.length / 2;
      const ids: string[] = [];
      for (let i = 0; i < batch.length; i += 2) {
        const id = batch[i]!;
        const score = Number(batch[i + 1]);
        // Equal scores come in reverse lexical order: skip what the previous page already gave.
        if (q.after && score === q.after.openedAt && id >= q.after.id) continue;
        ids.push(id);
      }
      const records = await mgetKeys(this.redis, ids.map((id) => this.keys.alert(id)));
      for (const json of records) {
        if (!json) continue;
        const alert = JSON.parse(json) as AlertRecord;
        if (q.cameraIds && !q.cameraIds.includes(alert.cameraId)) continue;
        if (q.types && !q.types.includes(alert.type)) continue;
        if (q.statuses && !q.statuses.includes(alert.status)) continue;
        if (items.length === q.limit) {
          more = true;
          break;
        }
        items.push(alert);
      }
      if (more || batch.length < SCAN_BATCH * 2) break;
    }
    const tail = items.at(-1);
    return { items, last: more && tail ? { openedAt: tail.openedAt, id: tail.id } : null };
  }

  /**
   * Applies `change` to the stored alert atomically (retrying when the worker
   * wrote in between). `change` returns null to leave the record as it is.
   */
  async update(id: string, change: (current: AlertRecord) => AlertRecord | null): Promise<{ before: AlertRecord; after: AlertRecord } | null> {
    const key = this.keys.alert(id);
    for (let attempt = 0; attempt < 10; attempt++) {
      const json = await this.redis.get(key);
      if (!json) return null;
      const before = JSON.parse(json) as AlertRecord;
      const after = change(before);
      if (!after) return { before, after: before };
      const ok = await this.redis.eval(REPLACE_IF_UNCHANGED, 1, key, json, JSON.stringify(after));
      if (ok === 1) return { before, after };
    }
    throw new Error(`alert ${id} kept changing; gave up updating it`);
  }

  /** Drops the camera's "open alert" pointer only if it still points at this alert. */
  async clearOpenPointer(alert: AlertRecord): Promise<void> {
    await this.redis.eval(DELETE_IF_EQUALS, 1, this.keys.openAlert(alert.cameraId, alert.type), alert.id);
  }

  /** Hands a rejected alert to the labelling loop (the worker copies its frame and labels). */
  async queueForReview(alertId: string): Promise<void> {
    await this.redis.rpush(this.keys.reviewRejected(), alertId);
  }
}
