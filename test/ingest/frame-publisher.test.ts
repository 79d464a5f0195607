import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName, createRedis, type FrameJob } from '@riverwatch/common';
import { FramePublisher } from '../../services/ingest/src/frame-publisher.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { waitFor } from './helpers.ts';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

describe('FramePublisher in-flight protocol (real Redis + BullMQ)', () => {
  let t: TestContext;
  let queue: Queue<FrameJob>;
  let publisher: FramePublisher;
  let seq = 0;
  const frame = (cameraId: string) => ({ cameraId, capturedAt: Date.now(), seq: ++seq, width: 2, height: 2 });

  beforeAll(async () => {
    t = await createTestContext();
    queue = new Queue<FrameJob>(QueueName.frames, { connection: t.redis, prefix: t.keys.queuePrefix });
    publisher = new FramePublisher(t.redis, t.keys, queue, { maxInFlight: 2, frameTtlSeconds: 30 });
  });
  afterAll(async () => {
    await queue?.close();
    await t?.cleanup();
  });

  it('queues a job whose id is the frameId, with the bytes under a TTL', async () => {
    const out = await publisher.publish(frame('cam_a'), jpeg);
    expect(out.dropped).toBe(0);
    const job = await queue.getJob(out.frameId!);
    expect(job?.data).toMatchObject({ cameraId: 'cam_a', frameId: out.frameId, source: 'camera' });
    expect(await t.redis.getBuffer(t.keys.frame(out.frameId!))).toEqual(jpeg);
    expect(await t.redis.ttl(t.keys.frame(out.frameId!))).toBeGreaterThan(0);
    expect(await t.redis.zrange(t.keys.cameraInFlight('cam_a'), 0, -1)).toEqual([out.frameId]);
  });

  it('replaces the oldest waiting frame when K are in flight (latest wins) and deletes its bytes', async () => {
    const first = await publisher.publish(frame('cam_b'), jpeg);
    const second = await publisher.publish(frame('cam_b'), jpeg);
    const third = await publisher.publish(frame('cam_b'), jpeg);
    expect(third.dropped).toBe(1);
    expect(await queue.getJob(first.frameId!)).toBeUndefined();
    expect(await t.redis.exists(t.keys.frame(first.frameId!))).toBe(0);
    expect(await t.redis.zrange(t.keys.cameraInFlight('cam_b'), 0, -1)).toEqual([second.frameId, third.frameId]);
  });

  it('never takes back a frame a worker is processing: the new frame is dropped instead', async () => {
    // A worker that takes cam_c jobs and holds them until released.
    const release: (() => void)[] = [];
    const conn = createRedis(t.redisUrl, 'blocking');
    const q2 = new Queue<FrameJob>('frames-active', { connection: t.redis, prefix: t.keys.queuePrefix });
    const p2 = new FramePublisher(t.redis, t.keys, q2, { maxInFlight: 2, frameTtlSeconds: 30 });
    const worker = new Worker<FrameJob>('frames-active', () => new Promise<void>((r) => release.push(() => r())), {
      connection: conn,
      prefix: t.keys.queuePrefix,
      concurrency: 2,
    });
    try {
      await p2.publish(frame('cam_c'), jpeg);
      await p2.publish(frame('cam_c'), jpeg);
      await waitFor('both frames active', 5000, async () => (await q2.getActiveCount()) === 2);
      const third = await p2.publish(frame('cam_c'), jpeg);
      expect(third).toEqual({ frameId: null, dropped: 1 });
      expect(await q2.getActiveCount()).toBe(2);
    } finally {
      release.forEach((r) => r());
      await worker.close();
      await q2.close();
      conn.disconnect();
    }
  });

  it('frees the slot of a frame the worker finished (ZREM) or forgot, and prunes entries past the TTL', async () => {
    const a = await publisher.publish(frame('cam_d'), jpeg);
    await publisher.publish(frame('cam_d'), jpeg);
    // The worker's side of the protocol: done with frame a.
    await t.redis.zrem(t.keys.cameraInFlight('cam_d'), a.frameId!);
    expect((await publisher.publish(frame('cam_d'), jpeg)).dropped).toBe(0);

    // A crashed worker left ids behind with old scores: they are pruned, not kept forever.
    await t.redis.zadd(t.keys.cameraInFlight('cam_e'), Date.now() - 60_000, 'frm_stale1', Date.now() - 60_000, 'frm_stale2');
    const out = await publisher.publish(frame('cam_e'), jpeg);
    expect(out.dropped).toBe(0);
    expect(await t.redis.zrange(t.keys.cameraInFlight('cam_e'), 0, -1)).toEqual([out.frameId]);

    // An id whose job no longer exists (completed and removed) frees its slot too.
    await t.redis.zadd(t.keys.cameraInFlight('cam_f'), Date.now(), 'frm_gone1', Date.now(), 'frm_gone2');
    const f = await publisher.publish(frame('cam_f'), jpeg);
    expect(f.frameId).not.toBeNull();
    expect(f.dropped).toBe(0);
  });
  it("sets a camera's ledger TTL with its first frame, not on every frame", async () => {
    await publisher.publish(frame('cam_g'), jpeg);
    const ledger = t.keys.frameLedger('cam_g');
    expect(await t.redis.pttl(ledger)).toBeGreaterThan(6 * 24 * 3600_000); // a week, the default
    await t.redis.persist(ledger);
    await publisher.publish(frame('cam_g'), jpeg);
    expect(await t.redis.pttl(ledger)).toBe(-1); // set an eighth of the retention ago at most: not again
    // Another publisher (an ingest replica that took the camera over) sets it with its first frame.
    await new FramePublisher(t.redis, t.keys, queue, { maxInFlight: 2, frameTtlSeconds: 30 }).publish(frame('cam_g'), jpeg);
    expect(await t.redis.pttl(ledger)).toBeGreaterThan(0);
  });
});
