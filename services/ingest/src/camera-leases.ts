import type { Redis, RedisKeys } from '@riverwatch/common';

/** Extend only a lease we still hold: another replica may own it after an expiry. */
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Camera leases (keys.cameraLease: value = replica id, PX = lease time) and the
 * replica registry (ZSET keys.ingestReplicas: member = replica id, score = last
 * heartbeat ms). A replica missing heartbeats for one lease period is dead, and
 * its leases expire in the same period, so its cameras move to the others.
 */
export class CameraLeases {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    readonly replicaId: string,
    readonly leaseMs: number,
  ) {}

  /** Records this replica as alive and returns how many replicas are alive. */
  async heartbeat(now = Date.now()): Promise<number> {
    const key = this.keys.ingestReplicas();
    const res = await this.redis
      .multi()
      .zadd(key, now, this.replicaId)
      .zremrangebyscore(key, '-inf', `(${now - this.leaseMs}`)
      .zcard(key)
      .pexpire(key, this.leaseMs * 10)
      .exec();
    const count = res?.[2]?.[1];
    return typeof count === 'number' && count > 0 ? count : 1;
  }

  async leave(): Promise<void> {
    await this.redis.zrem(this.keys.ingestReplicas(), this.replicaId);
  }

  /** Which of these cameras have no lease at all (candidates to acquire). */
  async unleased(cameraIds: string[]): Promise<string[]> {
    const exists = await Promise.all(cameraIds.map((id) => this.redis.exists(this.keys.cameraLease(id))));
    return cameraIds.filter((_, i) => exists[i] === 0);
  }

  async acquire(cameraId: string): Promise<boolean> {
    return (await this.redis.set(this.keys.cameraLease(cameraId), this.replicaId, 'PX', this.leaseMs, 'NX')) === 'OK';
  }

  /** Renews each lease; false where it was lost. */
  async renew(cameraIds: string[]): Promise<Map<string, boolean>> {
    const results = await Promise.all(
      cameraIds.map((id) => this.redis.eval(RENEW, 1, this.keys.cameraLease(id), this.replicaId, String(this.leaseMs))),
    );
    return new Map(cameraIds.map((id, i) => [id, results[i] === 1]));
  }

  async release(cameraId: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.keys.cameraLease(cameraId), this.replicaId);
  }
}
