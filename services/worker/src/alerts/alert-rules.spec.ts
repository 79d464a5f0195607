import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES, type AlertRules } from '@riverwatch/common';
import { coverageGrowthPerMinute, emptyRuleState, evaluateRules, type AlertDecision, type FrameObservation } from './alert-rules.ts';

const rules: AlertRules = { ...DEFAULT_ALERT_RULES, persistence: { n: 3, m: 5 }, resolveAfterSeconds: 2, cooldownSeconds: 5, coverage: { threshold: 0.2, growthPerMinute: 0.5 } };

function run(frames: Partial<FrameObservation>[], r = rules) {
  let state = emptyRuleState();
  const out: Record<string, AlertDecision>[] = [];
  frames.forEach((f, i) => {
    const res = evaluateRules(state, { at: i * 1000, debrisCount: 0, coverage: 0, viewBlocked: false, ...f }, r);
    state = res.state;
    out.push(res.decisions);
  });
  return out;
}

describe('alert rules', () => {
  it('opens a debris alert only once n of the last m frames hold debris', () => {
    const d = run([{ debrisCount: 1 }, { debrisCount: 0 }, { debrisCount: 1 }, { debrisCount: 1 }, { debrisCount: 1 }]).map((x) => x.debris);
    expect(d).toEqual(['none', 'none', 'none', 'open', 'update']);
  });

  it('ignores isolated false positives', () => {
    const d = run([{ debrisCount: 1 }, {}, {}, { debrisCount: 1 }, {}, {}, { debrisCount: 1 }]).map((x) => x.debris);
    expect(d.every((x) => x === 'none')).toBe(true);
  });

  it('resolves after the camera has been clear for resolveAfterSeconds, then respects the cooldown', () => {
    const frames = [1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1].map((c) => ({ debrisCount: c }));
    const d = run(frames).map((x) => x.debris);
    expect(d.slice(0, 3)).toEqual(['none', 'none', 'open']);
    // last debris at t=2s; persistence drops below n at t=4s; clear for 2 s by t=4s
    expect(d.indexOf('resolve')).toBe(5);
    const resolvedAt = 5;
    // cooldown 5 s: no reopen before t = 10 s although debris returns at t = 8 s
    const reopen = d.indexOf('open', resolvedAt);
    expect(reopen).toBeGreaterThanOrEqual(resolvedAt + 5);
  });

  it('raises accumulation on coverage above the threshold, not below', () => {
    expect(run([{ coverage: 0.1 }, { coverage: 0.1 }, { coverage: 0.1 }, { coverage: 0.1 }]).map((x) => x.accumulation)).not.toContain('open');
    expect(run([{ coverage: 0.3 }, { coverage: 0.3 }, { coverage: 0.3 }]).map((x) => x.accumulation)).toContain('open');
  });

  it('raises accumulation on sustained growth even below the threshold', () => {
    const r = { ...rules, coverage: { threshold: 0.2, growthPerMinute: 0.2 } };
    // 40 s of steady growth, 0.21 of the water surface per minute, never above the threshold.
    const frames = Array.from({ length: 41 }, (_, i) => ({ coverage: 0.01 + i * 0.0035 }));
    const acc = run(frames, r).map((x) => x.accumulation);
    expect(acc).toContain('open');
    expect(acc.indexOf('open'), 'not before 30 s of history').toBeGreaterThanOrEqual(30);
    expect(Math.max(...frames.map((f) => f.coverage))).toBeLessThan(r.coverage.threshold);
  });

  it('does not call debris that appears and stays an accumulation', () => {
    const r = { ...rules, coverage: { threshold: 0.2, growthPerMinute: 0.05 } };
    // Three items float in at once at t = 20 s (a step to 4% coverage) and stay for 40 s.
    const frames = Array.from({ length: 60 }, (_, i) => ({ coverage: i < 20 ? 0 : 0.04 }));
    expect(run(frames, r).map((x) => x.accumulation)).not.toContain('open');
  });

  it('computes sustained growth per minute from the window', () => {
    const ramp = (n: number, step: number) => Array.from({ length: n }, (_, i) => ({ at: i * 1000, value: 0.1 + i * step }));
    // 60 samples over 59 s rising 0.002/s: 0.12 per minute.
    expect(coverageGrowthPerMinute(ramp(60, 0.002))).toBeCloseTo(0.12, 2);
    // Less than 30 s of history says nothing.
    expect(coverageGrowthPerMinute(ramp(20, 0.01))).toBe(0);
    // Items arriving one by one (a staircase: +0.02 every 15 s) are growth; one batch (a step) is not.
    const stairs = ramp(60, 0).map((s, i) => ({ ...s, value: 0.02 * Math.floor(i / 15) }));
    expect(coverageGrowthPerMinute(stairs)).toBeGreaterThan(0.05);
    expect(coverageGrowthPerMinute(ramp(60, 0).map((s, i) => ({ ...s, value: i < 30 ? 0 : 0.1 })))).toBe(0);
    // A missed detection for a frame or two does not break a trend.
    const flicker = ramp(60, 0.002).map((s, i) => (i % 13 === 0 ? { ...s, value: 0 } : s));
    expect(coverageGrowthPerMinute(flicker)).toBeCloseTo(0.12, 2);
    // A fall and a flat line are not growth.
    expect(coverageGrowthPerMinute(ramp(60, -0.001))).toBe(0);
    expect(coverageGrowthPerMinute(ramp(60, 0))).toBe(0);
  });

  it('raises view_blocked independently of debris', () => {
    const out = run([{ viewBlocked: true }, { viewBlocked: true }, { viewBlocked: true }]);
    expect(out.map((x) => x.view_blocked)).toEqual(['none', 'none', 'open']);
    expect(out.map((x) => x.debris)).toEqual(['none', 'none', 'none']);
  });
});
