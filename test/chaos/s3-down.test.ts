import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { QueueName, readFrameEvents, type FrameJob } from '@riverwatch/common';
import { freePort, startEmbeddedS3, type LocalServer } from '@riverwatch/local-infra';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { cameraAlerts } from '../support/clip-feeder.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';
import { NOTHING_LOST, SCENARIO_TIMEOUT_MS, audit, committedFrames, lossAndDuplication, printFigure, scaled } from '../support/chaos.ts';

const ADMIN_KEY = 'rw_admin_chaos_s3_down_0123456789';
// Longer than the 10 s between an open alert's evidence refreshes, so some frame needs S3.
const OUTAGE_MS = scaled(12_000, 30_000);

/**
 * The S3 server down while a camera with debris in view keeps alerts open and updated (their
 * snapshots are evidence in S3). What must hold: frames whose evidence cannot be written retry
 * (or fail with a reason once out of tries), no alert ever points at an object that does not
 * exist (every snapshot key an alert held during the outage exists afterwards), and once S3 is
 * back evidence is written again, with nothing lost or duplicated.
 */
describe('chaos: S3 down', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-chaos-s3-'));
  let s3: (LocalServer & { accessKey: string; secretKey: string }) | undefined;
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;

  afterAll(async () => {
    await stack?.stop();
    await ctx?.cleanup();
    await s3?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`evidence writes retry through a ${OUTAGE_MS / 1000} s outage and no alert points at a missing object`, async () => {
    const port = await freePort();
    s3 = await startEmbeddedS3({ dataDir, port });
    ctx = await createTestContext({
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
      RIVERWATCH_ADMIN_KEY: ADMIN_KEY,
      MODEL_REPOSITORY: `${repoRoot}models`,
      HOST: '127.0.0.1',
    });
    stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'], env: ctx.env });
    const base = apiBase(stack);
    const id = await addClipCamera(base, ADMIN_KEY, 'Evidence river', 2);
    // The bundled clip has debris on the water: an alert with its snapshot before the outage.
    await expect.poll(async () => (await cameraAlerts(ctx!, id)).filter((a) => a.snapshotKey).length, { timeout: 90_000, interval: 500 }).toBeGreaterThanOrEqual(1);
    const before = await audit(ctx);

    const queue = new Queue<FrameJob>(QueueName.frames, { connection: ctx.redis, prefix: ctx.keys.queuePrefix });
    await s3.stop();
    const downAt = Date.now();
    const pointedAt = new Set<string>();
    // Frames whose try failed on S3 (evidence, water mask) and wait to be tried again.
    const retrying = new Set<string>();
    while (Date.now() - downAt < OUTAGE_MS) {
      for (const a of await cameraAlerts(ctx, id)) for (const key of [a.snapshotKey, a.frameKey]) if (key) pointedAt.add(key);
      for (const job of await queue.getJobs(['delayed', 'wait', 'active'])) if (job && /ECONNREFUSED/.test(job.failedReason ?? '')) retrying.add(job.id!);
      await new Promise((r) => setTimeout(r, 250));
    }
    await queue.close();
    const committedInOutage = (await audit(ctx)).frames.committed - before.frames.committed;
    s3 = await startEmbeddedS3({ dataDir, port });

    // Frames commit again, with evidence: some alert is updated or opened after S3 is back.
    const committed = await committedFrames(ctx, [id]);
    await expect.poll(() => committedFrames(ctx!, [id]), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(committed + 4);
    const missingDuringOutage = [];
    for (const key of pointedAt) if (!(await ctx.store.exists('snapshots', key))) missingDuringOutage.push(key);
    const report = await audit(ctx);
    // What became of the frames that were retrying: each has its one outcome.
    const outcomes: Record<string, number> = {};
    for (const e of await readFrameEvents(ctx.redis, ctx.keys, id)) if (e.event !== 'queued' && retrying.has(e.frameId)) outcomes[e.event] = (outcomes[e.event] ?? 0) + 1;
    printFigure(`S3 down ${OUTAGE_MS / 1000} s`, {
      alertKeysSeenDuringOutage: pointedAt.size,
      missingDuringOutage: missingDuringOutage.length,
      committedDuringOutage: committedInOutage,
      retryingDuringOutage: retrying.size,
      outcomesOfThoseRetrying: outcomes,
      failedDuringRun: report.frames.failed - before.frames.failed,
      failReasons: report.failReasons,
      alerts: report.alerts,
    });
    expect(missingDuringOutage).toEqual([]);
    expect(retrying.size).toBeGreaterThanOrEqual(1);
    expect(lossAndDuplication(report)).toEqual(NOTHING_LOST);
    expect(report.alerts.checked).toBeGreaterThanOrEqual(1);
  }, SCENARIO_TIMEOUT_MS);
});
