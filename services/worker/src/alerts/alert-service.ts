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
/**
 * An open alert's record is written at most this often (by frame capture time) while frames
 * keep it open; the frames in between are added up in the camera's memory (`HeldAlertUpdates`)
 * and written with the next write, or when the alert resolves.
 */
export const ALERT_RECORD_SYNC_MS = 5_000;

/** What frames add to an alert: the record's counts. */
type AlertCounts = Pick<AlertRecord, 'frames' | 'lastSeenAt' | 'lastFrameId' | 'classes' | 'maxCoverage' | 'trackIds'>;

/** What frames added to an open alert since its record was last written (lastSeenAt = syncedAt while none). */
export interface HeldAlertUpdate extends AlertCounts {
  /** Capture time of the newest frame the record counts. */
  syncedAt: number;
}

/**
 * Per alert type, kept in the camera's memory (written with the frame's commit, under the
 * camera's lock, so workers sharing a camera add to the same counts and a frame whose commit
 * failed adds nothing).
 */
export type HeldAlertUpdates = Partial<Record<AlertType, HeldAlertUpdate>>;

function nothingHeld(syncedAt: number): HeldAlertUpdate {
  return { syncedAt, frames: 0, lastSeenAt: syncedAt, lastFrameId: null, classes: {}, maxCoverage: 0, trackIds: [] };
}

const countsOf = (ev: AlertEvidence): AlertCounts => ({ frames: 1, lastSeenAt: ev.at, lastFrameId: ev.frameId, classes: ev.classes, maxCoverage: ev.coverage, trackIds: ev.trackIds });

/** Adds a frame's (or the held frames') counts to a record or a held update. */
function addTo(into: AlertCounts, add: AlertCounts): void {
  into.frames += add.frames;
  into.lastSeenAt = add.lastSeenAt;
  into.lastFrameId = add.lastFrameId;
  for (const [cls, n] of Object.entries(add.classes)) into.classes[cls] = Math.max(into.classes[cls] ?? 0, n);
  into.maxCoverage = Math.max(into.maxCoverage, add.maxCoverage);
  into.trackIds = [...new Set([...into.trackIds, ...add.trackIds])].slice(-100);
}

/**
 * The held frames go into the record unless it counts them already: a write whose frame then
 * failed to commit left the memory behind the record (the record's lastSeenAt says how far it counts).
 */
function mergeHeld(record: AlertRecord, held: HeldAlertUpdate | undefined): void {
  if (held?.frames && held.lastSeenAt > record.lastSeenAt) addTo(record, held);
}

/** Turns rule decisions into alert records, S3 evidence, live events and webhooks. */
export class AlertService {
  constructor(
    private readonly alerts: AlertStore,
    private readonly evidence: EvidenceRepository,
    private readonly events: EventPublisher,
    private readonly logger: Logger,
  ) {}

  /**
   * Applies a rule decision. `held` (the camera's memory) carries what frames added since the
   * record was last written. Returns false when an update found no open alert (an operator
   * closed it; seen at the next record write, so up to ALERT_RECORD_SYNC_MS late).
   */
  async apply(type: AlertType, decision: AlertDecision, ev: AlertEvidence, held: HeldAlertUpdates = {}): Promise<boolean> {
    if (decision === 'open') await this.open(type, ev, held);
    else if (decision === 'update') return this.update(type, ev, held);
    else if (decision === 'resolve') await this.resolve(type, ev.cameraId, ev.at, held);
    return true;
  }

  async open(type: AlertType, ev: AlertEvidence, held: HeldAlertUpdates = {}): Promise<AlertRecord> {
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
      delete held[type];
      await this.update(type, ev, held);
      return (await this.alerts.get(id))!;
    }
    held[type] = nothingHeld(ev.at);
    alertsChanged.inc({ type, change: 'opened' });
    this.logger.info({ alertId: record.id, cameraId: ev.cameraId, frameId: ev.frameId, type }, 'alert opened');
    await this.events.publish({ type: 'alert.opened', cameraId: ev.cameraId, data: { alert: record } });
    return record;
  }

  private async update(type: AlertType, ev: AlertEvidence, held: HeldAlertUpdates): Promise<boolean> {
    const pending = held[type];
    if (pending && ev.at - pending.syncedAt < ALERT_RECORD_SYNC_MS) {
      // A frame already held (a re-delivered job) is not counted twice.
      if (ev.at > pending.lastSeenAt) addTo(pending, countsOf(ev));
      return true;
    }
    const record = await this.openRecord(ev.cameraId, type);
    if (!record) {
      delete held[type];
      return false;
    }
    mergeHeld(record, pending);
    // A frame the record counts already (a retried or re-delivered job) is not counted twice.
    if (ev.at > record.lastSeenAt) addTo(record, countsOf(ev));
    const refresh = ev.at - record.updatedAt >= UPDATE_EVIDENCE_INTERVAL_MS;
    if (refresh) {
      await this.attachEvidence(record, ev);
      record.updatedAt = ev.at;
    }
    await this.alerts.save(record);
    held[type] = nothingHeld(record.lastSeenAt);
    if (refresh) {
      alertsChanged.inc({ type, change: 'updated' });
      await this.events.publish({ type: 'alert.updated', cameraId: ev.cameraId, data: { alert: record } });
    }
    return true;
  }

  async resolve(type: AlertType, cameraId: string, at: number, held: HeldAlertUpdates = {}): Promise<void> {
    const record = await this.openRecord(cameraId, type);
    const pending = held[type];
    delete held[type];
    if (!record) return;
    mergeHeld(record, pending);
    record.status = 'resolved';
    record.resolvedAt = at;
    record.updatedAt = at;
    await this.alerts.save(record);
    await this.alerts.releasePointer(cameraId, type, record.id);
    alertsChanged.inc({ type, change: 'resolved' });
    this.logger.info({ alertId: record.id, cameraId, type }, 'alert resolved');
    await this.events.publish({ type: 'alert.resolved', cameraId, data: { alert: record } });
  }

  /** The camera's open alert of this type, or null (none, or an operator closed it). */
  private async openRecord(cameraId: string, type: AlertType): Promise<AlertRecord | null> {
    const id = await this.alerts.openAlertId(cameraId, type);
    return id ? this.alerts.get(id) : null;
  }

  private async attachEvidence(record: AlertRecord, ev: AlertEvidence): Promise<void> {
    if (!ev.rawFrame || !ev.annotate) return;
    const keys = await this.evidence.saveAlertSnapshot(ev.cameraId, record.id, ev.frameId, await ev.annotate(), ev.rawFrame);
    record.snapshotKey = keys.snapshotKey;
    record.frameKey = keys.frameKey;
  }
}
