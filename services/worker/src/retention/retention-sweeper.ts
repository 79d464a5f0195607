import { EvidenceKeys, type AlertRecord, type EvidenceStore, type Logger, type Redis, type RedisKeys } from '@riverwatch/common';
import { retentionDeleted, retentionSweeps } from '../metrics.ts';

export interface RetentionPolicy {
  /** Resolved and rejected alerts older than this (since they ended) go, with their evidence; 0 keeps them. */
  alertRetentionMs: number;
  /** Water masks older than this go, except each camera's newest; 0 keeps them. */
  maskRetentionMs: number;
  /** One sweep per this period across all worker replicas. */
  intervalMs: number;
}

export interface SweepCounts {
  alerts: number;
  snapshotObjects: number;
  masks: number;
  /** Index entries whose record was already gone (a sweep cut short between the two deletes). */
  danglingIndexEntries: number;
}

const BATCH = 100;
const ENDED: ReadonlySet<AlertRecord['status']> = new Set(['resolved', 'rejected']);

/**
 * Keeps Redis and S3 from growing for ever: alerts that ended long ago (record, index entry and
 * S3 snapshots) and the water-mask history. Every replica ticks; the one that takes the Redis
 * lock for the period sweeps, so a deployment sweeps once per period whatever its size.
 *
 * Deletion order makes a sweep safe to cut short anywhere: evidence objects first (the record
 * still lists the alert), then the record, then its index entry (the API skips index entries
 * without a record, and the next sweep removes them).
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  /** Set by stop(): a sweep in progress ends at the next alert or mask (the next period goes on from there). */
  private stopping = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: EvidenceStore,
    private readonly policy: RetentionPolicy,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ticks every min(interval, 1 min); the first tick comes one tick after start. A tick during a sweep is skipped. */
  start(): void {
    const tickMs = Math.min(this.policy.intervalMs, 60_000);
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweepIfDue()
        .catch((err: Error) => {
          retentionSweeps.inc({ outcome: 'failed' });
          this.logger.warn({ err }, 'retention sweep failed; the next period tries again');
        })
        .finally(() => (this.running = undefined));
    }, tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** Sweeps when this replica takes the period's lock; null when another replica has it. */
  async sweepIfDue(): Promise<SweepCounts | null> {
    const taken = await this.redis.set(this.keys.retentionLock(), String(this.now()), 'PX', this.policy.intervalMs, 'NX');
    if (taken !== 'OK') return null;
    return this.sweep();
  }

  async sweep(): Promise<SweepCounts> {
    const counts: SweepCounts = { alerts: 0, snapshotObjects: 0, masks: 0, danglingIndexEntries: 0 };
    if (this.policy.alertRetentionMs > 0) await this.sweepAlerts(this.now() - this.policy.alertRetentionMs, counts);
    if (this.policy.maskRetentionMs > 0) await this.sweepMasks(this.now() - this.policy.maskRetentionMs, counts);
    retentionSweeps.inc({ outcome: this.stopping ? 'stopped' : 'done' });
    retentionDeleted.inc({ kind: 'alert' }, counts.alerts);
    retentionDeleted.inc({ kind: 'snapshot_object' }, counts.snapshotObjects);
    retentionDeleted.inc({ kind: 'mask' }, counts.masks);
    this.logger.info({ ...counts }, this.stopping ? 'retention sweep stopped early (service stopping)' : 'retention sweep done');
    return counts;
  }

  /** Alerts are indexed by opening time: one that ended before the cutoff opened before it too. */
  private async sweepAlerts(cutoff: number, counts: SweepCounts): Promise<void> {
    let kept = 0; // alerts in range that stay (still open, or ended after the cutoff): skipped by offset
    for (;;) {
      const ids = await this.redis.zrangebyscore(this.keys.alertIndex(), '-inf', cutoff, 'LIMIT', kept, BATCH);
      for (const id of ids) {
        if (this.stopping) return;
        const json = await this.redis.get(this.keys.alert(id));
        if (!json) {
          await this.redis.zrem(this.keys.alertIndex(), id);
          counts.danglingIndexEntries++;
          continue;
        }
        const alert = JSON.parse(json) as AlertRecord;
        if (!ENDED.has(alert.status) || (alert.resolvedAt ?? alert.updatedAt) >= cutoff) {
          kept++;
          continue;
        }
        // Every object under the alert's folder: the snapshot the record names and any it replaced.
        counts.snapshotObjects += await this.store.removePrefix('snapshots', EvidenceKeys.alertFolder(alert.cameraId, alert.id));
        await this.redis.del(this.keys.alert(id));
        await this.redis.zrem(this.keys.alertIndex(), id);
        counts.alerts++;
        this.logger.debug({ alertId: id, cameraId: alert.cameraId }, 'alert past retention deleted');
      }
      if (ids.length < BATCH) return;
    }
  }

  /**
   * Mask keys are `<camera>/<capture ms>.png` (EvidenceKeys), and S3 lists keys in order: the history is walked
   * oldest first and stops at the cutoff. A mask goes only once a newer one exists, so a camera
   * whose water has not been segmented for a while keeps its last mask.
   */
  private async sweepMasks(cutoff: number, counts: SweepCounts): Promise<void> {
    for (const cameraFolder of await this.store.prefixes('masks')) {
      const keys = await this.store.list('masks', cameraFolder);
      for (let i = 0; i + 1 < keys.length; i++) {
        if (this.stopping) return;
        const at = EvidenceKeys.maskCapturedAt(keys[i]);
        if (!Number.isFinite(at)) continue; // not a mask riverwatch wrote: left alone
        if (at >= cutoff) break;
        await this.store.remove('masks', keys[i]);
        counts.masks++;
      }
    }
  }
}
