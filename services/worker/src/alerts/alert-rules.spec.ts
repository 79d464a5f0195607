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

  it('raises accumulation on fast growth even below the threshold', () => {
    const frames = Array.from({ length: 20 }, (_, i) => ({ coverage: 0.01 + i * 0.009 }));
    const acc = run(frames).map((x) => x.accumulation);
    expect(acc).toContain('open');
    expect(Math.max(...frames.map((f) => f.coverage))).toBeLessThan(rules.coverage.threshold);
  });

  it('computes growth per minute from the window', () => {
    expect(coverageGrowthPerMinute([{ at: 0, value: 0.1 }, { at: 30_000, value: 0.2 }])).toBeCloseTo(0.2);
    expect(coverageGrowthPerMinute([{ at: 0, value: 0.1 }, { at: 1000, value: 0.9 }])).toBe(0);
  });

  it('raises view_blocked independently of debris', () => {
    const out = run([{ viewBlocked: true }, { viewBlocked: true }, { viewBlocked: true }]);
    expect(out.map((x) => x.view_blocked)).toEqual(['none', 'none', 'open']);
    expect(out.map((x) => x.debris)).toEqual(['none', 'none', 'none']);
  });
});
