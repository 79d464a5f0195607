import type { AlertRecord, AlertStatus, LiveEventType } from '@riverwatch/common';

export type AlertAction = 'ack' | 'resolve' | 'reject';

interface ActionRule {
  to: AlertStatus;
  /** Statuses the action may start from (the target status itself is an idempotent no-op). */
  from: AlertStatus[];
  event: LiveEventType;
}

export const ALERT_ACTIONS: Record<AlertAction, ActionRule> = {
  ack: { to: 'acknowledged', from: ['open'], event: 'alert.acknowledged' },
  resolve: { to: 'resolved', from: ['open', 'acknowledged'], event: 'alert.resolved' },
  // An operator may still reject an alert the worker already resolved: it was a false positive all the same.
  reject: { to: 'rejected', from: ['open', 'acknowledged', 'resolved'], event: 'alert.rejected' },
};

export type TransitionResult = { kind: 'changed'; alert: AlertRecord } | { kind: 'unchanged' } | { kind: 'conflict'; message: string };

/** The alert after an operator's action, by whom and with an optional note. */
export function applyAlertAction(alert: AlertRecord, action: AlertAction, by: string, note: string | undefined, now = Date.now()): TransitionResult {
  const rule = ALERT_ACTIONS[action];
  if (alert.status === rule.to) return { kind: 'unchanged' };
  if (!rule.from.includes(alert.status)) return { kind: 'conflict', message: `cannot ${action} an alert that is ${alert.status}` };
  const next: AlertRecord = { ...alert, status: rule.to, updatedAt: Math.max(now, alert.updatedAt) };
  if (action === 'ack') next.acknowledgedBy = by;
  if (action !== 'ack') next.resolvedAt = alert.resolvedAt ?? now;
  if (note !== undefined) next.note = note;
  return { kind: 'changed', alert: next };
}
