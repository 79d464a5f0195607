import { describe, expect, it } from 'vitest';
import type { AlertRecord, AlertStatus } from '@riverwatch/common';
import { applyAlertAction, type AlertAction } from './alert-transitions.ts';

const alert = (status: AlertStatus): AlertRecord => ({
  id: 'alr_1', cameraId: 'cam_1', type: 'debris', status, openedAt: 1000, updatedAt: 2000, lastSeenAt: 2000,
  resolvedAt: status === 'resolved' ? 1500 : null, frames: 3, lastFrameId: 'frm_1', classes: { bottle: 2 }, maxCoverage: 0.1,
  trackIds: [1], snapshotKey: null, frameKey: null, acknowledgedBy: null, note: null,
});

describe('applyAlertAction', () => {
  const table: [AlertStatus, AlertAction, 'changed' | 'unchanged' | 'conflict'][] = [
    ['open', 'ack', 'changed'],
    ['acknowledged', 'ack', 'unchanged'],
    ['resolved', 'ack', 'conflict'],
    ['rejected', 'ack', 'conflict'],
    ['open', 'resolve', 'changed'],
    ['acknowledged', 'resolve', 'changed'],
    ['resolved', 'resolve', 'unchanged'],
    ['rejected', 'resolve', 'conflict'],
    ['open', 'reject', 'changed'],
    ['acknowledged', 'reject', 'changed'],
    ['resolved', 'reject', 'changed'],
    ['rejected', 'reject', 'unchanged'],
  ];
  it.each(table)('%s + %s -> %s', (from, action, kind) => {
    expect(applyAlertAction(alert(from), action, 'op', undefined, 5000).kind).toBe(kind);
  });

  it('ack records who; resolve and reject set resolvedAt once; a note is kept', () => {
    const acked = applyAlertAction(alert('open'), 'ack', 'river ops', 'crew sent', 5000);
    expect(acked).toMatchObject({ kind: 'changed', alert: { status: 'acknowledged', acknowledgedBy: 'river ops', note: 'crew sent', updatedAt: 5000 } });
    const resolved = applyAlertAction(alert('open'), 'resolve', 'op', undefined, 6000);
    expect(resolved).toMatchObject({ alert: { status: 'resolved', resolvedAt: 6000 } });
    const rejected = applyAlertAction(alert('resolved'), 'reject', 'op', undefined, 7000);
    expect(rejected).toMatchObject({ alert: { status: 'rejected', resolvedAt: 1500 } });
  });
});
