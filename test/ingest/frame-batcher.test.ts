import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Queue, type Job } from 'bullmq';
import { Redis as IORedis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FrameJobName, QueueName, createRedis, readLedger, scanKeys, type FrameBatchJob, type FrameJob, type Redis } from '@riverwatch/common';
import { start } from '@riverwatch/ingest';
import { FrameBatcher, type FrameBatcherOptions } from '../../services/ingest/src/frame-batcher.ts';
import type { PublishOutcome } from '../../services/ingest/src/frame-sink.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { cameraConfig, ingestTestContext, putCamera, testClip, waitFor } from './helpers.ts';

type FramesQueue = Queue<FrameJob | FrameBatchJob>;

/** A distinct "JPEG" per call, of varying length (SOI ... EOI): the batcher never decodes it. */
function jpeg(): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8]), randomBytes(16 + Math.floor(Math.random() * 64)), Buffer.from([0xff, 0xd9])]);
}

/** The frames queue refusing every job (Redis refused it), on the real Redis otherwise. */
class RefusingQueue extends Queue<FrameJob | FrameBatchJob> {
  override add(): Promise<Job<FrameJob | FrameBatchJob>> {
    return Promise.reject(new Error('add refused by the test'));
  }
}

describe('FrameBatcher (real Redis + BullMQ)', () => {
  let t: TestContext;
  let seq = 0;
  const queues: FramesQueue[] = [];
  const batchers: FrameBatcher[] = [];
  const frame = (cameraId: string) => ({ cameraId, capturedAt: Date.now(), seq: ++seq, width: 2, height: 2 });
  const batchKeys = () => scanKeys(t.redis, t.keys.frameBatch('*'));

  /** A batcher on a queue of its own (its own wait list: the backlog check sees only this test's jobs). */
  function setup(name: string, options: Partial<FrameBatcherOptions>, QueueClass: typeof Queue<FrameJob | FrameBatchJob> = Queue, redis: Redis = t.redis) {
    const queue = new QueueClass(`${QueueName.frames}-${name}`, { connection: redis, prefix: t.keys.queuePrefix });
    const batcher = new FrameBatcher(redis, t.keys, queue, { windowMs: 50, maxFrames: 32, maxWaiting: 8, frameTtlSeconds: 30, ...options });
    queues.push(queue);
    batchers.push(batcher);
    return { queue, batcher };
  }

  beforeAll(async () => {
    t = await createTestContext();
  });
  afterEach(async () => {
    await Promise.all(batchers.splice(0).map((b) => b.close()));
    await Promise.all(queues.splice(0).map((q) => q.close()));
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('makes one batch job of the frames of 3 cameras in one window: bytes sliced back exactly, each frame queued in its ledger', async () => {
    // Must hold: one job named 'batch' (id = batchId) for all 5 frames; offset/length slice the
    // batch key's bytes back to each frame's JPEG; each frame has a `queued` naming the batch;
    // the bytes have a TTL.
    const { queue, batcher } = setup('three', { windowMs: 100 });
    const sent = ['cam_a', 'cam_b', 'cam_a', 'cam_c', 'cam_b'].map((cameraId) => ({ cameraId, jpeg: jpeg() }));
    const outcomes = await Promise.all(sent.map((s) => batcher.publish(frame(s.cameraId), s.jpeg)));
    for (const out of outcomes) expect(out).toEqual({ frameId: expect.stringMatching(/^frm_/), dropped: 0 });

    const jobs = await queue.getJobs(['waiting']);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.name).toBe(FrameJobName.batch);
    const { batchId, frames } = job.data as FrameBatchJob;
    expect(job.id).toBe(batchId);
    expect(frames.map((f) => f.frameId)).toEqual(outcomes.map((o) => o.frameId));
    const bytes = (await t.redis.getBuffer(t.keys.frameBatch(batchId)))!;
    expect(bytes.length).toBe(sent.reduce((n, s) => n + s.jpeg.length, 0));
    frames.forEach((f, i) => {
      expect(f.cameraId).toBe(sent[i]!.cameraId);
      expect(bytes.subarray(f.offset, f.offset + f.length).equals(sent[i]!.jpeg)).toBe(true);
    });
    expect(await t.redis.ttl(t.keys.frameBatch(batchId))).toBeGreaterThan(0);

    for (const cameraId of ['cam_a', 'cam_b', 'cam_c']) {
      const ledger = await readLedger(t.redis, t.keys, cameraId);
      const mine = frames.filter((f) => f.cameraId === cameraId).map((f) => f.frameId);
      expect(ledger.map((e) => [e.frameId, e.event, e.batchId])).toEqual(mine.map((id) => [id, 'queued', batchId]));
      expect(await t.redis.pttl(t.keys.frameLedger(cameraId))).toBeGreaterThan(0);
    }
    expect(batcher.counts).toEqual({ batchesQueued: 1, framesQueued: 5, batchesDropped: 0, framesDropped: 0 });
  });

  it('sends a batch at once when it holds maxFrames, without waiting out the window', { timeout: 15_000 }, async () => {
    // Must hold: with a 10-minute window, 3 frames (maxFrames) are queued at once (the test
    // finishing within its timeout proves it); a 4th frame starts the next batch, still gathering.
    const { queue, batcher } = setup('max-frames', { windowMs: 600_000, maxFrames: 3 });
    const first = [1, 2, 3].map(() => batcher.publish(frame('cam_m'), jpeg()));
    let fourthSettled = false;
    const fourth = batcher.publish(frame('cam_m'), jpeg()).finally(() => (fourthSettled = true));
    const outcomes = await Promise.all(first);
    expect(outcomes.every((o) => o.frameId !== null && o.dropped === 0)).toBe(true);
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs).toHaveLength(1);
    expect((jobs[0]!.data as FrameBatchJob).frames.map((f) => f.frameId)).toEqual(outcomes.map((o) => o.frameId));
    expect(fourthSettled).toBe(false);
    await batcher.close();
    expect((await fourth).frameId).not.toBeNull();
    expect(await queue.getJobs(['waiting'])).toHaveLength(2);
  });

  it('drops a batch whole when maxWaiting batches wait for a worker: nothing of it is written', async () => {
    // Must hold: with one batch waiting (no worker) and maxWaiting 1, the next batch's publishes
    // resolve {frameId: null, dropped: 1}; no new job, no batch key and no ledger entry for it.
    const { queue, batcher } = setup('backlog', { windowMs: 20, maxWaiting: 1 });
    const waiting = await batcher.publish(frame('cam_w'), jpeg());
    expect(waiting.frameId).not.toBeNull();
    const keysBefore = await batchKeys();

    const dropped = await Promise.all([batcher.publish(frame('cam_x'), jpeg()), batcher.publish(frame('cam_y'), jpeg())]);
    expect(dropped).toEqual([
      { frameId: null, dropped: 1 },
      { frameId: null, dropped: 1 },
    ]);
    expect(await queue.getJobs(['waiting'])).toHaveLength(1);
    expect((await batchKeys()).sort()).toEqual(keysBefore.sort());
    expect(await readLedger(t.redis, t.keys, 'cam_x')).toEqual([]);
    expect(await readLedger(t.redis, t.keys, 'cam_y')).toEqual([]);
    expect(batcher.counts).toMatchObject({ batchesQueued: 1, batchesDropped: 1, framesDropped: 2 });
  });

  it('undoes a batch whose job cannot be added: publishes reject, frames failed (enqueue_failed) in the ledger, bytes gone', async () => {
    // Must hold: every publish of the batch rejects with the add's error; each frame's ledger
    // reads `queued` (naming the batch) then `failed` with reason enqueue_failed; the batch key
    // is deleted.
    const { batcher } = setup('refused', { windowMs: 20 }, RefusingQueue);
    const results = await Promise.allSettled(['cam_r1', 'cam_r2', 'cam_r1'].map((cameraId) => batcher.publish(frame(cameraId), jpeg())));
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { message: 'add refused by the test' } });

    const batchIds = new Set<string>();
    for (const [cameraId, n] of [
      ['cam_r1', 2],
      ['cam_r2', 1],
    ] as const) {
      const ledger = await readLedger(t.redis, t.keys, cameraId);
      const frameIds = [...new Set(ledger.map((e) => e.frameId))];
      expect(frameIds).toHaveLength(n);
      for (const frameId of frameIds) {
        const entries = ledger.filter((e) => e.frameId === frameId);
        expect(entries.map((e) => [e.event, e.reason])).toEqual([
          ['queued', null],
          ['failed', 'enqueue_failed'],
        ]);
        batchIds.add(entries[0]!.batchId!);
      }
    }
    expect(batchIds.size).toBe(1);
    expect(await t.redis.exists(t.keys.frameBatch([...batchIds][0]!))).toBe(0);
  });

  it('close() sends a gathered batch without waiting out the window; publish after close rejects', { timeout: 15_000 }, async () => {
    // Must hold: frames gathered under a 10-minute window are queued by close() (the test
    // finishing proves it did not wait); a publish after close() rejects and writes nothing.
    const { queue, batcher } = setup('close', { windowMs: 600_000 });
    const pending = [batcher.publish(frame('cam_k'), jpeg()), batcher.publish(frame('cam_l'), jpeg())];
    await batcher.close();
    const outcomes = await Promise.all(pending);
    expect(outcomes.every((o) => o.frameId !== null)).toBe(true);
    expect(await queue.getJobs(['waiting'])).toHaveLength(1);
    await expect(batcher.publish(frame('cam_k'), jpeg())).rejects.toThrow(/closed/);
    expect(await queue.getJobs(['waiting'])).toHaveLength(1);
    expect((await readLedger(t.redis, t.keys, 'cam_k')).map((e) => e.event)).toEqual(['queued']);
  });

  it('startDraining() sends what it holds and each later frame on the next tick (shutdown)', { timeout: 15_000 }, async () => {
    // Must hold: under a 10-minute window, frames published before and after startDraining()
    // are queued without close() (the test finishing proves it).
    const { queue, batcher } = setup('draining', { windowMs: 600_000 });
    const before = batcher.publish(frame('cam_d'), jpeg());
    batcher.startDraining();
    expect((await before).frameId).not.toBeNull();
    expect((await batcher.publish(frame('cam_d'), jpeg())).frameId).not.toBeNull();
    expect(await queue.getJobs(['waiting'])).toHaveLength(2);
  });

  /**
   * The point of batching: what one flush sends, watched with MONITOR on a connection of its own
   * (only on a single Redis: RIVERWATCH_TEST_REDIS=cluster skips it). Counted are the commands
   * this client sends; the add script's own commands run inside Redis and are BullMQ's.
   */
  describe.skipIf(process.env.RIVERWATCH_TEST_REDIS === 'cluster')('Redis commands of a flush (MONITOR)', () => {
    let conn: Redis;
    let base: IORedis;
    let monitor: IORedis;
    const commands: string[][] = [];

    beforeAll(async () => {
      conn = createRedis(t.redisUrl);
      const addr = /(?:^|\s)addr=(\S+)/.exec(String(await conn.client('INFO')))![1]!;
      // monitor() opens a connection of its own; `base` itself never connects.
      base = new IORedis(t.redisUrl, { lazyConnect: true });
      monitor = await base.monitor();
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        if (source === addr) commands.push(args);
      });
    });
    afterAll(async () => {
      monitor?.disconnect();
      base?.disconnect();
      conn?.disconnect();
    });

    it('a 3-camera batch: 1 LLEN, 1 SET, 1 XADD per frame, the add script, and no MULTI', async () => {
      // Must hold: one flush of 3 frames (3 cameras) sends LLEN, SET, 3 XADD (no PEXPIRE: the
      // ledgers' TTLs were set by the warm-up batch) and BullMQ's add, and nothing else of
      // ours: no MULTI/EXEC, nothing per frame beyond its XADD.
      const { batcher } = setup('commands', { windowMs: 600_000, maxFrames: 3 }, Queue, conn);
      const cams = ['cam_c1', 'cam_c2', 'cam_c3'];
      // Warm-up: the connection's first add loads the script; the ledger TTLs are set here.
      await Promise.all(cams.map((c) => batcher.publish(frame(c), jpeg())));
      const scripts = (from: number) => commands.slice(from).filter((c) => /^eval(sha)?$/i.test(c[0]!)).length;
      await expect.poll(() => scripts(0)).toBeGreaterThan(0);
      const from = commands.length;

      const outcomes: PublishOutcome[] = await Promise.all(cams.map((c) => batcher.publish(frame(c), jpeg())));
      expect(outcomes.every((o) => o.frameId !== null)).toBe(true);
      await expect.poll(() => scripts(from)).toBe(1); // the add is the flush's last command
      const tally: Record<string, number> = {};
      for (const [name] of commands.slice(from)) tally[name!.toLowerCase()] = (tally[name!.toLowerCase()] ?? 0) + 1;
      expect(tally).toMatchObject({ llen: 1, set: 1, xadd: 3 });
      expect(tally.multi ?? 0).toBe(0);
      expect(tally.exec ?? 0).toBe(0);
      expect(tally.pexpire ?? 0).toBe(0);
      // Ours (LLEN, SET, 3 XADD) and the add script: nothing else from this client.
      expect(Object.keys(tally).filter((n) => !['llen', 'set', 'xadd', 'evalsha', 'eval'].includes(n))).toEqual([]);
      expect(commands.length - from).toBe(3 + cams.length);
    });
  });
});

describe('ingest with INGEST_BATCH_WINDOW_MS (real ffmpeg, Redis, BullMQ)', () => {
  it('queues the cameras\' frames in batches and stops without waiting out the window', { timeout: 60_000 }, async () => {
    // Must hold: with batching on, the frames queue gets 'batch' jobs (a puller has one frame in
    // hand at a time, so maxFrames 2 with 2 cameras sends them long before the 10-s window);
    // stop() sends the batch being gathered at once (it returns well within the window) and
    // leaves every frame queued in the ledger with its batch's job and bytes there (nothing
    // half-written, no failures).
    const { t, ctx } = await ingestTestContext({ INGEST_BATCH_WINDOW_MS: '10000', INGEST_BATCH_MAX_FRAMES: '2' });
    const queue = new Queue<FrameJob | FrameBatchJob>(QueueName.frames, { connection: t.redis, prefix: t.keys.queuePrefix });
    const ingest = await start(ctx);
    try {
      const cams = ['cam_batch1', 'cam_batch2'];
      for (const id of cams) await putCamera(t, cameraConfig(id, pathToFileURL(testClip()).href));
      await waitFor('a batch job', 20_000, async () => (await queue.getJobs(['waiting'])).some((j) => j.name === FrameJobName.batch));
      const stopping = Date.now();
      await ingest.stop();
      expect(Date.now() - stopping).toBeLessThan(8000); // not held for the 10-s window

      const jobs = new Map((await queue.getJobs(['waiting'])).map((j) => [j.id, j]));
      for (const j of jobs.values()) expect(j.name).toBe(FrameJobName.batch);
      const entries = (await Promise.all(cams.map((id) => readLedger(t.redis, t.keys, id)))).flat();
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) {
        expect(e.event).toBe('queued');
        const job = jobs.get(e.batchId!);
        expect((job?.data as FrameBatchJob | undefined)?.frames.map((f) => f.frameId)).toContain(e.frameId);
      }
      for (const batchId of jobs.keys()) expect(await t.redis.exists(t.keys.frameBatch(batchId!))).toBe(1);
    } finally {
      await ingest.stop();
      await queue.close();
      await t.cleanup();
    }
  });
});
