import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, mgetKeys, openQueueEvents, QueueName, RedisKeys, scanKeys, waitForRedis, type Redis } from '@riverwatch/common';
import { startLocalRedisCluster, type LocalServer } from '@riverwatch/local-infra';

/**
 * riverwatch on a real three-master Redis Cluster (local redis-servers). The
 * services' own suites also run on one (`npm run test:cluster`); this file
 * checks what those rely on: keys really spread over the masters, the
 * operations that span slots work there, and BullMQ's queues live in one slot.
 */
describe('Redis Cluster', () => {
  let dir: string;
  let cluster: LocalServer;
  let redis: Redis;
  const keys = new RedisKeys('tcl');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rw-cluster-'));
    cluster = await startLocalRedisCluster({ dataDir: dir });
    redis = createRedis(cluster.url);
  });

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The master that serves a key's slot. */
  async function ownerOf(key: string): Promise<string> {
    const slot = (await redis.cluster('KEYSLOT', key)) as number;
    const range = (await redis.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to)!;
    const [host, port] = range[2]!;
    return `${host}:${port}`;
  }

  it('connects with a redis-cluster:// URL and reports the cluster ready', async () => {
    expect(cluster.url).toMatch(/^redis-cluster:\/\/127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/);
    expect(redis).toBeInstanceOf(Cluster);
    await expect(waitForRedis(cluster.url, 5000)).resolves.toBeUndefined();
    expect((redis as Cluster).nodes('master')).toHaveLength(3);
  });

  it('keeps each camera in one slot and the queues in one slot, while cameras spread over the masters', async () => {
    const cameraKeys = (id: string) => [keys.camera(id), keys.frameSummaries(id), keys.openAlert(id, 'debris'), keys.cameraLease(id), keys.cameraInFlight(id)];
    const owners = new Set<string>();
    for (const id of Array.from({ length: 12 }, (_, i) => `cam-${i}`)) {
      const slots = new Set(await Promise.all(cameraKeys(id).map((k) => redis.cluster('KEYSLOT', k))));
      expect(slots.size).toBe(1);
      owners.add(await ownerOf(keys.camera(id)));
    }
    expect(owners.size).toBeGreaterThan(1);
    const queueKeys = Object.values(QueueName).flatMap((q) => ['wait', 'id', 'meta'].map((k) => `${keys.queuePrefix}:${q}:${k}`));
    const queueSlots = new Set(await Promise.all(queueKeys.map((k) => redis.cluster('KEYSLOT', k))));
    expect(queueSlots.size).toBe(1);
  });

  it('reads records that live on different masters (a plain MGET across slots is refused)', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `alr_${i}`);
    for (const id of ids) await redis.set(keys.alert(id), JSON.stringify({ id }));
    expect(new Set(await Promise.all(ids.map((id) => ownerOf(keys.alert(id))))).size).toBeGreaterThan(1);
    await expect(redis.mget(ids.map((id) => keys.alert(id)))).rejects.toThrow(/CROSSSLOT|same slot/);
    const values = await mgetKeys(redis, [...ids.map((id) => keys.alert(id)), keys.alert('missing')]);
    expect(values.slice(0, -1).map((v) => (JSON.parse(v!) as { id: string }).id)).toEqual(ids);
    expect(values.at(-1)).toBeNull();
    // Every master is scanned (the test harness's cleanup relies on it).
    expect((await scanKeys(redis, `${keys.prefix}:alert:*`)).sort()).toEqual(ids.map((id) => keys.alert(id)).sort());
  });

  it('runs a BullMQ queue and worker on the cluster', async () => {
    const connections = [0, 1, 2].map(() => createRedis(cluster.url, 'blocking'));
    const prefix = keys.queuePrefix;
    const queue = new Queue(QueueName.frames, { connection: connections[0]!, prefix });
    const events = await openQueueEvents(QueueName.frames, connections[1]!, prefix);
    const worker = new Worker(QueueName.frames, async (job) => (job.data as { n: number }).n * 2, { connection: connections[2]!, prefix });
    try {
      const job = await queue.add('f', { n: 21 });
      expect(await job.waitUntilFinished(events, 10_000)).toBe(42);
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
      for (const c of connections) c.disconnect();
    }
  });
});
