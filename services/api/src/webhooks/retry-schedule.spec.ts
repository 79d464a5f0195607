import { describe, expect, it } from 'vitest';
import { WEBHOOK_JOB_OPTIONS } from '@riverwatch/common';
import { MAX_RETRY_AFTER_MS, parseRetryAfter, retryDelayMs, withRetryAfter } from './retry-schedule.ts';

const BASE = 5_000;

describe('retry schedule', () => {
  it('spans more than a day over the job attempts even with every jitter draw at its lowest', () => {
    const retries = WEBHOOK_JOB_OPTIONS.attempts - 1;
    let total = 0;
    for (let r = 1; r <= retries; r++) total += retryDelayMs(r, BASE, 0);
    expect(total).toBeGreaterThanOrEqual(86_400_000);
  });

  it('grows exponentially and is capped', () => {
    const mid = (r: number) => retryDelayMs(r, BASE, 0.5);
    expect(mid(1)).toBe(5_000);
    expect(mid(2)).toBe(20_000);
    expect(mid(3)).toBe(80_000);
    expect(mid(20)).toBe(mid(30));
    expect(mid(30)).toBe(8 * 3_600_000);
  });

  it('jitters by at most 20% either way', () => {
    expect(retryDelayMs(3, BASE, 0)).toBe(64_000);
    expect(retryDelayMs(3, BASE, 0.999999)).toBeLessThanOrEqual(96_000);
    const draws = new Set(Array.from({ length: 20 }, () => retryDelayMs(4, BASE)));
    expect(draws.size).toBeGreaterThan(1);
  });

  it('honours Retry-After when it asks for longer than the schedule, within a day', () => {
    expect(withRetryAfter(5_000, 60_000)).toBe(60_000);
    expect(withRetryAfter(90_000, 1_000)).toBe(90_000);
    expect(withRetryAfter(5_000, null)).toBe(5_000);
    expect(withRetryAfter(5_000, 10 * 86_400_000)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
