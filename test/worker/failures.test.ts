import type { Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import type { FrameJob } from '@riverwatch/common';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { ClipFeeder, loadClip, saveCamera } from '../support/clip-feeder.ts';
import { metricValue, scrape } from '../inference/support.ts';
import { workerMetricsPort } from '../support/stack.ts';

/** Runs one frame job of a configured camera to its end and returns it (failed or completed); `bytes` null: bytes gone. */
async function runJob(ctx: TestContext, bytes: Buffer | null, attempts: number): Promise<Job<FrameJob>> {
  await saveCamera(ctx, 'cam-x'); // frames of a camera that does not exist are dropped, not processed
  const feeder = new ClipFeeder(ctx);
  try {
    const job = await feeder.enqueue('cam-x', bytes, 1, { attempts });
    await feeder.finished(job).catch(() => {});
    return (await feeder.queue.getJob(job.id!)) as Job<FrameJob>;
  } finally {
    await feeder.close();
  }
}

const frames = async (port: number, outcome: string) => metricValue(await scrape(port), 'riverwatch_worker_frames_total', { outcome });
const queueJobs = async (port: number, state: string) => metricValue(await scrape(port), 'riverwatch_worker_queue_jobs', { state });

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
    const expiredBefore = await frames(port, 'expired');
    const corruptBefore = await frames(port, 'corrupt');
    const failedBefore = await frames(port, 'failed');

    const gone = await runJob(ctx, null, 3);
    expect(gone.failedReason).toMatch(/bytes are gone/);
    expect(gone.attemptsMade).toBe(1);

    const truncated = loadClip('debris-appears').frame(25).subarray(0, 2000);
    const corrupt = await runJob(ctx, truncated, 3);
    expect(corrupt.failedReason).toMatch(/corrupt|could not be decoded/);
    expect(corrupt.attemptsMade).toBe(1);
    // A frame that failed for good leaves nothing behind in Redis either.
    await expect.poll(() => ctx!.redis.exists(ctx!.keys.frame(corrupt.data.frameId))).toBe(0);

    expect(await frames(port, 'expired')).toBe(expiredBefore + 1);
    expect(await frames(port, 'corrupt')).toBe(corruptBefore + 1);
    // Counted as what they are, not a second time as 'failed'.
    expect(await frames(port, 'failed')).toBe(failedBefore);
  });

  it('retries a frame when the inference service is unreachable, then fails it with the reason', async () => {
    const deadPort = await freePort();
    ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models`, INFERENCE_TARGETS: `127.0.0.1:${deadPort}`, INFERENCE_DEADLINE_MS: '500' });
    stack = await runStack({ services: ['worker'], env: ctx.env });
    const port = workerMetricsPort(stack);
    const failedBefore = await frames(port, 'failed');
    const job = await runJob(ctx, loadClip('debris-appears').frame(25), 2);
    expect(job.attemptsMade).toBe(2);
    expect(job.failedReason).toMatch(/UNAVAILABLE|unavailable|connect|deadline/i);
    // Counted once, when out of tries (not per attempt); and the queue gauge, read at scrape time, shows it failed.
    await expect.poll(() => frames(port, 'failed')).toBe(failedBefore + 1);
    expect(await queueJobs(port, 'failed')).toBe(1);
    expect(await queueJobs(port, 'waiting')).toBe(0);
  });
});
