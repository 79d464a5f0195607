import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { QueueName, type FrameJob } from '@riverwatch/common';
import { freePort } from '@riverwatch/local-infra';
import { createTestContext, inferenceAt, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';
import { NOTHING_LOST, SCENARIO_TIMEOUT_MS, ServiceProcesses, audit, committedFrames, lossAndDuplication, printFigure, scaled } from '../support/chaos.ts';

const ADMIN_KEY = 'rw_admin_chaos_inference_hung_0123456789';
const HANG_MS = scaled(8000, 20_000);
const DEADLINE_MS = 1500;
const CAMERAS = 2;

/**
 * The inference server hung (SIGSTOP: its connections stay open, nothing answers), not
 * killed. What must hold: the worker's calls end at their deadline, the frames that cannot
 * be detected are dropped (replaced by newer ones) or failed with a reason, all counted in
 * the ledger, and the queue stays bounded by the in-flight limit instead of growing with the
 * hang; once it answers again frames are detected again.
 */
describe('chaos: the inference server hung', () => {
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  let procs: ServiceProcesses | undefined;
  let queue: Queue<FrameJob> | undefined;

  afterAll(async () => {
    await queue?.close();
    await procs?.stopAll();
    await stack?.stop();
    await ctx?.cleanup();
  });

  it(`calls hit their deadline, frames are dropped and counted, the queue stays bounded during a ${HANG_MS / 1000} s hang`, async () => {
    ctx = await createTestContext({
      RIVERWATCH_ADMIN_KEY: ADMIN_KEY,
      MODEL_REPOSITORY: `${repoRoot}models`,
      HOST: '127.0.0.1',
      ...inferenceAt(await freePort()),
      INFERENCE_DEADLINE_MS: String(DEADLINE_MS),
    });
    procs = new ServiceProcesses(ctx.env);
    const inference = await procs.start('inference');
    stack = await runStack({ services: ['worker', 'ingest', 'api'], env: ctx.env });
    queue = new Queue<FrameJob>(QueueName.frames, { connection: ctx.redis, prefix: ctx.keys.queuePrefix });
    const base = apiBase(stack);
    const cameras: string[] = [];
    for (let i = 0; i < CAMERAS; i++) cameras.push(await addClipCamera(base, ADMIN_KEY, `Hung river ${i}`, 2));
    await expect.poll(() => committedFrames(ctx!, cameras), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    const before = await audit(ctx);

    inference.child.kill('SIGSTOP');
    const hungAt = Date.now();
    let maxDepth = 0;
    const deadlineErrors = new Set<string>();
    try {
      while (Date.now() - hungAt < HANG_MS) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        maxDepth = Math.max(maxDepth, Object.values(counts).reduce((a, b) => a + b, 0));
        for (const job of await queue.getJobs(['delayed', 'failed', 'active'])) if (job && /deadline/i.test(job.failedReason ?? '')) deadlineErrors.add(job.id!);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      inference.child.kill('SIGCONT');
    }
    const during = await audit(ctx);
    const dropped = during.frames.dropped - before.frames.dropped;
    const failed = during.frames.failed - before.frames.failed;
    printFigure(`inference SIGSTOP ${HANG_MS / 1000} s`, { deadlineMs: DEADLINE_MS, framesThatHitTheDeadline: deadlineErrors.size, maxQueueDepth: maxDepth, dropped, failed, failReasons: during.failReasons });
    expect(deadlineErrors.size).toBeGreaterThanOrEqual(1);
    expect(dropped + failed).toBeGreaterThanOrEqual(2);
    // Each camera holds at most INGEST_MAX_IN_FLIGHT frames (one more on its way in).
    expect(maxDepth).toBeLessThanOrEqual(CAMERAS * (ctx.config.ingest.maxInFlight + 1));

    const resumed = await committedFrames(ctx, cameras);
    await expect.poll(() => committedFrames(ctx!, cameras), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(resumed + 3);
    expect(lossAndDuplication(await audit(ctx))).toEqual(NOTHING_LOST);
  }, SCENARIO_TIMEOUT_MS);
});
