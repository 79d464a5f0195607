import { Queue, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { QueueName, createRedis, frameJobOptions, newId, openQueueEvents, type FrameJob } from '@riverwatch/common';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { loadClip, saveCamera } from '../support/clip-feeder.ts';
import { workerMetricsPort } from '../support/stack.ts';

/** Runs one frame job to its end and returns it (failed or completed). */
async function runJob(ctx: TestContext, bytes: Buffer | null, attempts: number): Promise<Job<FrameJob>> {
  const queueConnection = createRedis(ctx.redisUrl);
  const eventsConnection = createRedis(ctx.redisUrl, 'blocking');
  const queue = new Queue<FrameJob>(QueueName.frames, { connection: queueConnection, prefix: ctx.keys.queuePrefix });
  const events = await openQueueEvents(QueueName.frames, eventsConnection, ctx.keys.queuePrefix);
  await saveCamera(ctx, 'cam-x'); // frames of a camera that does not exist are dropped, not processed
  const frameId = newId('frm');
  if (bytes) await ctx.redis.set(ctx.keys.frame(frameId), bytes, 'EX', 60);
  const opts = { ...frameJobOptions(frameId, attempts), backoff: { type: 'fixed' as const, delay: 50 } };
  const job = await queue.add('frame', { cameraId: 'cam-x', frameId, capturedAt: Date.now(), seq: 1, width: 640, height: 360, source: 'camera' }, opts);
  await job.waitUntilFinished(events, 60_000).catch(() => {});
  const finished = (await queue.getJob(frameId))!;
  await events.close();
  await queue.close();
  // BullMQ leaves connections it was given open.
  queueConnection.disconnect();
  eventsConnection.disconnect();
  return finished;
}

async function metric(port: number, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = text.match(pattern);
  return m ? Number(m[1]) : 0;
}

describe('worker failure behaviour', () => {
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;

  afterEach(async () => {
    await stack?.stop();
    await ctx?.cleanup();
    stack = undefined;
  });

  it('fails a frame whose bytes are gone, or are corrupt, at once (no retries) and counts it', async () => {
    ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models` });
    stack = await runStack({ services: ['inference', 'worker'], env: ctx.env });
    const port = workerMetricsPort(stack);
    const expiredBefore = await metric(port, /riverwatch_worker_frames_total\{outcome="expired"\} (\d+)/);
    const corruptBefore = await metric(port, /riverwatch_worker_frames_total\{outcome="corrupt"\} (\d+)/);
    const failedBefore = await metric(port, /riverwatch_worker_frames_total\{outcome="failed"\} (\d+)/);

    const gone = await runJob(ctx, null, 3);
    expect(gone.failedReason).toMatch(/bytes are gone/);
    expect(gone.attemptsMade).toBe(1);

    const truncated = loadClip('debris-appears').frame(25).subarray(0, 2000);
    const corrupt = await runJob(ctx, truncated, 3);
    expect(corrupt.failedReason).toMatch(/corrupt|could not be decoded/);
    expect(corrupt.attemptsMade).toBe(1);
    // A frame that failed for good leaves nothing behind in Redis either.
    await expect.poll(() => ctx!.redis.exists(ctx!.keys.frame(corrupt.data.frameId))).toBe(0);

    expect(await metric(port, /riverwatch_worker_frames_total\{outcome="expired"\} (\d+)/)).toBe(expiredBefore + 1);
    expect(await metric(port, /riverwatch_worker_frames_total\{outcome="corrupt"\} (\d+)/)).toBe(corruptBefore + 1);
    // Counted as what they are, not a second time as 'failed'.
    expect(await metric(port, /riverwatch_worker_frames_total\{outcome="failed"\} (\d+)/)).toBe(failedBefore);
  });

  it('retries a frame when the inference service is unreachable, then fails it with the reason', async () => {
    const deadPort = await freePort();
    ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models`, INFERENCE_TARGETS: `127.0.0.1:${deadPort}`, INFERENCE_DEADLINE_MS: '500' });
    stack = await runStack({ services: ['worker'], env: ctx.env });
    const port = workerMetricsPort(stack);
    const failedBefore = await metric(port, /riverwatch_worker_frames_total\{outcome="failed"\} (\d+)/);
    const job = await runJob(ctx, loadClip('debris-appears').frame(25), 2);
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toMatch(/UNAVAILABLE|unavailable|connect|deadline/i);
    // Counted once, when out of tries (not per attempt); and the queue gauge, read at scrape time, shows it failed.
    await expect.poll(() => metric(port, /riverwatch_worker_frames_total\{outcome="failed"\} (\d+)/)).toBe(failedBefore + 1);
    expect(await metric(port, /riverwatch_worker_queue_jobs\{state="failed"\} (\d+)/)).toBe(1);
    expect(await metric(port, /riverwatch_worker_queue_jobs\{state="waiting"\} (\d+)/)).toBe(0);
  });
});
