import type { AlertRecord, FrameSummary } from '@riverwatch/common';
import type { TestContext } from '../../support/context.ts';

let seq = 0;

/** Writes an alert the way the worker does: record, index entry, and the open pointer when open. */
export async function seedAlert(t: TestContext, over: Partial<AlertRecord> & { cameraId: string }): Promise<AlertRecord> {
  seq++;
  const openedAt = over.openedAt ?? 1_700_000_000_000 + seq * 1000;
  const alert: AlertRecord = {
    id: `alr_${openedAt.toString(36).padStart(9, '0')}${seq.toString(16).padStart(12, '0')}`,
    type: 'debris',
    status: 'open',
    openedAt,
    updatedAt: openedAt,
    lastSeenAt: openedAt,
    resolvedAt: null,
    frames: 3,
    lastFrameId: 'frm_000000000000000000001',
    classes: { bottle: 2 },
    maxCoverage: 0.04,
    trackIds: [1, 2],
    snapshotKey: null,
    frameKey: null,
    acknowledgedBy: null,
    note: null,
    ...over,
  };
  await t.redis.set(t.keys.alert(alert.id), JSON.stringify(alert));
  await t.redis.zadd(t.keys.alertIndex(), alert.openedAt, alert.id);
  if (alert.status === 'open' || alert.status === 'acknowledged') await t.redis.set(t.keys.openAlert(alert.cameraId, alert.type), alert.id);
  return alert;
}

/** Appends a frame summary to a camera's stream, with the capture time as the stream id (as the worker does). */
export async function seedSummary(t: TestContext, cameraId: string, s: Partial<FrameSummary> & { capturedAt: number }): Promise<void> {
  seq++;
  const summary: FrameSummary = {
    frameId: `frm_${seq}`,
    processedAt: s.capturedAt + 40,
    counts: {},
    coverage: 0,
    trackIds: [],
    newTracks: 0,
    models: { detector: 'debris-yolov5' },
    latencyMs: 40,
    ...s,
  };
  await t.redis.xadd(t.keys.frameSummaries(cameraId), `${s.capturedAt}-*`, 'json', JSON.stringify(summary));
}
