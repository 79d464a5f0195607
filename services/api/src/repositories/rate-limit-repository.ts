import type { Redis, RedisKeys } from '@riverwatch/common';

// Fixed window: the first hit of a window sets its expiry; one round trip, atomic across replicas.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {n, ttl}`;

export class RateLimitRepository {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Counts one request in the caller's current window. */
  async hit(bucket: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const [count, resetMs] = (await this.redis.eval(HIT, 1, this.keys.rateLimit(bucket), windowMs)) as [number, number];
    return { count, resetMs };
  }
}
