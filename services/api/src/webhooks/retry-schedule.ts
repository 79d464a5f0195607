/**
 * Webhook retry delays: exponential (x4 per attempt) from a base delay, capped,
 * with +-20% jitter so that receivers recovering from an outage are not hit by
 * every sender at once. With the 5 s default base and 10 attempts the retries
 * span more than a day even when every jitter draw is at its low end.
 */
export const RETRY_GROWTH = 4;
export const RETRY_CAP_FACTOR = 5_760; // 8 h at the 5 s base
export const JITTER = 0.2;
/** A Retry-After longer than this is not honoured beyond it. */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/** Delay before retry number `retry` (1 = first retry), random in [0, 1). */
export function retryDelayMs(retry: number, baseMs: number, random: number = Math.random()): number {
  const raw = Math.min(baseMs * RETRY_GROWTH ** Math.max(0, retry - 1), baseMs * RETRY_CAP_FACTOR);
  return Math.round(raw * (1 - JITTER + 2 * JITTER * random));
}

/** The later of the schedule's delay and the receiver's Retry-After. */
export function withRetryAfter(scheduledMs: number, retryAfterMs: number | null): number {
  if (retryAfterMs === null) return scheduledMs;
  return Math.max(scheduledMs, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
}

/** Retry-After is seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
