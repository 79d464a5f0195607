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

/** History the growth rule needs before it says anything. */
const MIN_GROWTH_SPAN_MS = 30_000;
/** No rise within this long may carry more than half of the window's rise. */
const STEP_MS = 10_000;

/**
 * Sustained coverage growth per minute over the samples (the last minute), or 0.
 * Debris that floats in and stays is a step, not accumulation, however sudden:
 * growth counts only when no 10-second stretch holds more than half of the
 * window's rise (items piling up one after another do; one batch arriving does
 * not). The rate is the least-squares slope of the coverage after a 5-sample
 * median, so a missed detection in a frame or two neither makes nor breaks a trend.
 */
export function coverageGrowthPerMinute(samples: { at: number; value: number }[]): number {
  const n = samples.length;
  if (n < 3) return 0;
  const span = samples[n - 1]!.at - samples[0]!.at;
  if (span < MIN_GROWTH_SPAN_MS) return 0;
  // Median of 5 samples around each one (the 5 nearest at the ends).
  const v = samples.map((_, i) => {
    const from = Math.max(0, Math.min(i - 2, n - 5));
    return median(samples.slice(from, from + 5).map((s) => s.value));
  });
  // Least-squares slope of the smoothed coverage, per minute.
  const tMean = samples.reduce((a, s) => a + s.at, 0) / n;
  const vMean = v.reduce((a, x) => a + x, 0) / n;
  let num = 0;
  let den = 0;
  samples.forEach((s, i) => {
    num += (s.at - tMean) * (v[i]! - vMean);
    den += (s.at - tMean) ** 2;
  });
  const perMinute = (num / den) * 60_000;
  if (!(perMinute > 0)) return 0;
  let biggestStep = 0;
  for (let i = 0, j = 0; i < n; i++) {
    while (j + 1 < n && samples[j + 1]!.at - samples[i]!.at <= STEP_MS) j++;
    for (let k = i + 1; k <= j; k++) biggestStep = Math.max(biggestStep, v[k]! - v[i]!);
  }
  return biggestStep > (perMinute * span) / 60_000 / 2 ? 0 : perMinute;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
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
