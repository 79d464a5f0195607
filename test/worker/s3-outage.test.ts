import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import type { Job } from 'bullmq';
import { EvidenceStore, type FrameJob } from '@riverwatch/common';
import { freePort, startEmbeddedS3, type LocalServer } from '@riverwatch/local-infra';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { ClipFeeder, cameraAlerts, loadClip, saveCamera } from '../support/clip-feeder.ts';

/**
 * A fault under a running worker: S3 stops just as debris appears (the frames
 * that would open the alert need S3 for its evidence) and comes back. What must
 * hold: while it is down no alert exists that could point at a missing object;
 * the frames that needed S3 are retried, not dropped; once it is back the alert
 * opens with evidence that exists, and every frame is counted exactly once.
 */
describe('worker while S3 is down', () => {
  const s3Dir = mkdtempSync(join(tmpdir(), 'rw-s3-outage-'));
  let s3: (LocalServer & { accessKey: string; secretKey: string }) | undefined;
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  let feeder: ClipFeeder | undefined;

  afterAll(async () => {
    await feeder?.close();
    await stack?.stop();
    await s3?.stop();
    await ctx?.cleanup();
    rmSync(s3Dir, { recursive: true, force: true });
  });

  it('retries the frames that needed S3 and counts each frame once when S3 is back', async () => {
    const port = await freePort();
    s3 = await startEmbeddedS3({ dataDir: s3Dir, port });
    ctx = await createTestContext({
      MODEL_REPOSITORY: `${repoRoot}models`,
      WORKER_CONCURRENCY: '2',
      REVIEW_INTERVAL_SECONDS: '0',
      S3_ENDPOINT: s3.url,
      S3_ACCESS_KEY: s3.accessKey,
      S3_SECRET_KEY: s3.secretKey,
    });
    const store = EvidenceStore.fromConfig(ctx.config.s3, s3.url);
    stack = await runStack({ services: ['inference', 'worker'], env: ctx.env });
    feeder = new ClipFeeder(ctx);
    const clip = loadClip('debris-appears');
    await saveCamera(ctx, 'cam-s3');
    // Clear water first (the water mask goes to S3 on frame 0).
    for (let i = 0; i < 20; i++) await feeder.feed('cam-s3', clip.frame(i), i);
    expect(await cameraAlerts(ctx, 'cam-s3')).toEqual([]);

    await s3.stop();
    // Debris from frame 20: persistence (3 of 5) opens the alert a few frames in, which needs S3.
    const jobs: Job<FrameJob>[] = [];
    for (let i = 20; i < 28; i++) jobs.push(await feeder.enqueue('cam-s3', clip.frame(i), i, { attempts: 8 }));
    await expect.poll(async () => (await Promise.all(jobs.map((j) => feeder!.queue.getJob(j.id!)))).some((j) => (j?.attemptsMade ?? 0) >= 1), { timeout: 30_000 }).toBe(true);
    // Nothing points at evidence that could not be written.
    expect(await cameraAlerts(ctx, 'cam-s3')).toEqual([]);
    expect(await ctx.redis.exists(ctx.keys.openAlert('cam-s3', 'debris'))).toBe(0);

    s3 = await startEmbeddedS3({ dataDir: s3Dir, port });
    for (const job of jobs) await feeder.finished(job, 90_000);

    // Every frame counted once: retried frames were committed on their retry, none twice.
    const summaries = await ctx.redis.xrange(ctx.keys.frameSummaries('cam-s3'), '-', '+');
    const frameIds = summaries.map(([, fields]) => (JSON.parse(fields[1]!) as { frameId: string }).frameId);
    expect(frameIds).toHaveLength(28);
    expect(new Set(frameIds).size).toBe(28);
    for (const job of jobs) expect(frameIds).toContain(job.data.frameId);

    const [alert, ...more] = await cameraAlerts(ctx, 'cam-s3', 'debris');
    expect(more).toEqual([]);
    expect(alert!.status).toBe('open');
    expect(alert!.openedAt).toBeGreaterThanOrEqual(feeder.capturedAt(20));
    expect(await store.exists('snapshots', alert!.snapshotKey!)).toBe(true);
    expect(await store.exists('snapshots', alert!.frameKey!)).toBe(true);
    // No frame added to the alert twice.
    expect(alert!.frames).toBeLessThanOrEqual(8);
  });
});
