import type { AlertRules, AlertType } from '@riverwatch/common';

/**
 * Per-camera alert rules as a pure state machine: each frame's observation goes
 * in, and out comes what to do with each frame-driven alert type.
 */
export type FrameAlertType = Exclude<AlertType, 'camera_offline'>;
export const FRAME_ALERT_TYPES: FrameAlertType[] = ['debris', 'accumulation', 'view_blocked'];

export interface FrameObservation {
  at: number;
  /** Debris items that passed score, water and zone filters. */
  debrisCount: number;
  /** Share of the water surface covered by debris (0..1). */
  coverage: number;
  viewBlocked: boolean;
}

interface TypeState {
  /** Did the condition hold in each of the last m frames (newest last)? */
  recent: boolean[];
  open: boolean;
  lastConditionAt: number | null;
  cooldownUntil: number;
}

export interface AlertRuleState {
  types: Record<FrameAlertType, TypeState>;
  /** Coverage samples of the last minute, for the growth rule. */
  coverage: { at: number; value: number }[];
}

export type AlertDecision = 'open' | 'update' | 'resolve' | 'none';

export function emptyRuleState(): AlertRuleState {
  const fresh = (): TypeState => ({ recent: [], open: false, lastConditionAt: null, cooldownUntil: 0 });
  return { types: { debris: fresh(), accumulation: fresh(), view_blocked: fresh() }, coverage: [] };
}

/** Coverage growth per minute from the oldest sample of the last minute to now. */
export function coverageGrowthPerMinute(samples: { at: number; value: number }[]): number {
  if (samples.length < 2) return 0;
  const first = samples[0]!;
  const last = samples[samples.length - 1]!;
  const minutes = (last.at - first.at) / 60_000;
  // Less than 10 s of history says nothing reliable about a trend.
  return minutes >= 10 / 60 ? (last.value - first.value) / minutes : 0;
}

export function evaluateRules(
  prev: AlertRuleState,
  obs: FrameObservation,
  rules: AlertRules,
): { state: AlertRuleState; decisions: Record<FrameAlertType, AlertDecision> } {
  const coverage = [...prev.coverage.filter((s) => obs.at - s.at <= 60_000), { at: obs.at, value: obs.coverage }];
  const growth = coverageGrowthPerMinute(coverage);
  const holds: Record<FrameAlertType, boolean> = {
    debris: obs.debrisCount >= rules.minCount,
    accumulation: obs.coverage >= rules.coverage.threshold || (obs.coverage > 0 && growth >= rules.coverage.growthPerMinute),
    view_blocked: obs.viewBlocked,
  };

  const types = {} as AlertRuleState['types'];
  const decisions = {} as Record<FrameAlertType, AlertDecision>;
  for (const type of FRAME_ALERT_TYPES) {
    const s = prev.types[type];
    const recent = [...s.recent, holds[type]].slice(-rules.persistence.m);
    const persistent = recent.filter(Boolean).length >= rules.persistence.n;
    const next: TypeState = { ...s, recent, lastConditionAt: holds[type] ? obs.at : s.lastConditionAt };
    let decision: AlertDecision = 'none';
    if (persistent && !s.open && obs.at >= s.cooldownUntil) {
      decision = 'open';
      next.open = true;
    } else if (s.open && holds[type]) {
      decision = 'update';
    } else if (s.open && !persistent && obs.at - (next.lastConditionAt ?? 0) >= rules.resolveAfterSeconds * 1000) {
      decision = 'resolve';
      next.open = false;
      next.cooldownUntil = obs.at + rules.cooldownSeconds * 1000;
    }
    types[type] = next;
    decisions[type] = decision;
  }
  return { state: { types, coverage }, decisions };
}

/** An operator resolved or rejected the alert: the machine must allow a new one. */
export function markClosed(state: AlertRuleState, type: FrameAlertType): AlertRuleState {
  return { ...state, types: { ...state.types, [type]: { ...state.types[type], open: false, recent: [] } } };
}
