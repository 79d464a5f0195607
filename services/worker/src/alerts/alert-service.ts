import { newId, type AlertRecord, type AlertType, type EventPublisher, type Logger } from '@riverwatch/common';
import type { AlertStore } from '../repositories/alert-store.ts';
import type { EvidenceRepository } from '../repositories/evidence.ts';
import type { AlertDecision } from './alert-rules.ts';
import { alertsChanged } from '../metrics.ts';

/** What a frame contributes to an alert. */
export interface AlertEvidence {
  cameraId: string;
  frameId: string;
  at: number;
  classes: Record<string, number>;
  coverage: number;
  trackIds: number[];
  rawFrame: Buffer | null;
  /** Drawn only when an alert needs a snapshot. */
  annotate: (() => Promise<Buffer>) | null;
}

/** Snapshots and `alert.updated` events at most this often per alert. */
const UPDATE_EVIDENCE_INTERVAL_MS = 10_000;

/** Turns rule decisions into alert records, S3 evidence, live events and webhooks. */
export class AlertService {
  constructor(
    private readonly alerts: AlertStore,
    private readonly evidence: EvidenceRepository,
    private readonly events: EventPublisher,
    private readonly logger: Logger,
  ) {}

  /** Returns false when an update found no open alert (an operator closed it). */
  async apply(type: AlertType, decision: AlertDecision, ev: AlertEvidence): Promise<boolean> {
    if (decision === 'open') await this.open(type, ev);
    else if (decision === 'update') return this.update(type, ev);
    else if (decision === 'resolve') await this.resolve(type, ev.cameraId, ev.at);
    return true;
  }

  async open(type: AlertType, ev: AlertEvidence): Promise<AlertRecord> {
    const record: AlertRecord = {
      id: newId('alr'),
      cameraId: ev.cameraId,
      type,
      status: 'open',
      openedAt: ev.at,
      updatedAt: ev.at,
      lastSeenAt: ev.at,
      resolvedAt: null,
      frames: 1,
      lastFrameId: ev.frameId,
      classes: { ...ev.classes },
      maxCoverage: ev.coverage,
      trackIds: ev.trackIds.slice(0, 100),
      snapshotKey: null,
      frameKey: null,
      acknowledgedBy: null,
      note: null,
    };
    // Evidence goes to S3 before the record exists, so the record never points at a missing object.
    await this.attachEvidence(record, ev);
    const { id, created } = await this.alerts.openOnce(record);
    if (!created) {
      await this.update(type, ev);
      return (await this.alerts.get(id))!;
    }
    alertsChanged.inc({ type, change: 'opened' });
    this.logger.info({ alertId: record.id, cameraId: ev.cameraId, frameId: ev.frameId, type }, 'alert opened');
    await this.events.publish({ type: 'alert.opened', cameraId: ev.cameraId, data: { alert: record } });
    return record;
  }

  private async update(type: AlertType, ev: AlertEvidence): Promise<boolean> {
    const id = await this.alerts.openAlertId(ev.cameraId, type);
    const record = id ? await this.alerts.get(id) : null;
    if (!record) return false;
    // A retried frame whose first try got this far: already counted.
    if (record.lastFrameId === ev.frameId) return true;
    record.frames += 1;
    record.lastSeenAt = ev.at;
    record.lastFrameId = ev.frameId;
    for (const [cls, n] of Object.entries(ev.classes)) record.classes[cls] = Math.max(record.classes[cls] ?? 0, n);
    record.maxCoverage = Math.max(record.maxCoverage, ev.coverage);
    record.trackIds = [...new Set([...record.trackIds, ...ev.trackIds])].slice(-100);
    const refresh = ev.at - record.updatedAt >= UPDATE_EVIDENCE_INTERVAL_MS;
    if (refresh) {
      await this.attachEvidence(record, ev);
      record.updatedAt = ev.at;
    }
    await this.alerts.save(record);
    if (refresh) {
      alertsChanged.inc({ type, change: 'updated' });
      await this.events.publish({ type: 'alert.updated', cameraId: ev.cameraId, data: { alert: record } });
    }
    return true;
  }

  async resolve(type: AlertType, cameraId: string, at: number): Promise<void> {
    const id = await this.alerts.openAlertId(cameraId, type);
    const record = id ? await this.alerts.get(id) : null;
    if (!record) return;
    record.status = 'resolved';
    record.resolvedAt = at;
    record.updatedAt = at;
    await this.alerts.save(record);
    await this.alerts.releasePointer(cameraId, type, record.id);
    alertsChanged.inc({ type, change: 'resolved' });
    this.logger.info({ alertId: record.id, cameraId, type }, 'alert resolved');
    await this.events.publish({ type: 'alert.resolved', cameraId, data: { alert: record } });
  }

  private async attachEvidence(record: AlertRecord, ev: AlertEvidence): Promise<void> {
    if (!ev.rawFrame || !ev.annotate) return;
    const keys = await this.evidence.saveAlertSnapshot(ev.cameraId, record.id, ev.frameId, await ev.annotate(), ev.rawFrame);
    record.snapshotKey = keys.snapshotKey;
    record.frameKey = keys.frameKey;
  }
}
