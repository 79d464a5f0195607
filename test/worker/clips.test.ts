import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import type { AlertRecord, LiveEvent } from '@riverwatch/common';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { ClipFeeder, cameraAlerts, loadClip, saveCamera } from '../support/clip-feeder.ts';

/**
 * The worker against real Redis, the S3 server and the inference service with
 * the shipped models, on rendered clips whose ground truth says what must happen.
 */
describe('worker on rendered clips', () => {
  let ctx: TestContext;
  let stack: Stack;
  let feeder: ClipFeeder;

  beforeAll(async () => {
    ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models`, WORKER_CONCURRENCY: '2', REVIEW_INTERVAL_SECONDS: '0' });
    stack = await runStack({ services: ['inference', 'worker'], env: ctx.env });
    feeder = new ClipFeeder(ctx);
  });

  afterAll(async () => {
    await feeder?.close();
    await stack?.stop();
    await ctx?.cleanup();
  });

  it('debris appearing at frame 20 opens a debris alert within the persistence window, with evidence in S3', async () => {
    const clip = loadClip('debris-appears');
    await saveCamera(ctx, 'cam-appears');
    for (let i = 0; i < 20; i++) await feeder.feed('cam-appears', clip.frame(i), i);
    expect(await cameraAlerts(ctx, 'cam-appears', 'debris')).toEqual([]);

    const window = 5; // persistence m
    for (let i = 20; i < 20 + window + 3; i++) await feeder.feed('cam-appears', clip.frame(i), i);
    const alerts = await cameraAlerts(ctx, 'cam-appears', 'debris');
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!;
    expect(alert.status).toBe('open');
    expect(alert.openedAt).toBeGreaterThanOrEqual(feeder.capturedAt(20));
    expect(alert.openedAt).toBeLessThanOrEqual(feeder.capturedAt(20 + window + 2));
    expect(await ctx.redis.get(ctx.keys.openAlert('cam-appears', 'debris'))).toBe(alert.id);
    // The alert points only at objects that exist.
    expect(alert.snapshotKey).toBeTruthy();
    expect(await ctx.store.exists('snapshots', alert.snapshotKey!)).toBe(true);
    expect(await ctx.store.exists('snapshots', alert.frameKey!)).toBe(true);
    // Summaries were written per frame, and an alert.opened live event was published.
    expect(await ctx.redis.xlen(ctx.keys.frameSummaries('cam-appears'))).toBe(20 + window + 3);
    const events = (await ctx.redis.xrange(ctx.keys.events(), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as LiveEvent);
    expect(events.some((e) => e.type === 'alert.opened' && (e.data.alert as AlertRecord).id === alert.id)).toBe(true);
  });

  it('the same frame job delivered twice gives one alert and one count', async () => {
    const clip = loadClip('debris-appears');
    const summaries = ctx.keys.frameSummaries('cam-appears');
    const before = await ctx.redis.xlen(summaries);
    const [alertBefore] = await cameraAlerts(ctx, 'cam-appears', 'debris');
    const job = await feeder.feed('cam-appears', clip.frame(30), 30);
    expect(await ctx.redis.xlen(summaries)).toBe(before + 1);
    const [alertAfterFirst] = await cameraAlerts(ctx, 'cam-appears', 'debris');

    // Re-delivery: the finished job is gone from BullMQ and the same frame id arrives again.
    await (await feeder.queue.getJob(job.frameId))!.remove();
    await feeder.feed('cam-appears', clip.frame(30), 30, job.frameId);
    expect(await ctx.redis.xlen(summaries)).toBe(before + 1);
    const alerts = await cameraAlerts(ctx, 'cam-appears', 'debris');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.frames).toBe(alertAfterFirst!.frames);
    expect(alertAfterFirst!.frames).toBe(alertBefore!.frames + 1);
  });

  it('debris lying on the bank, off the water, raises no alert', async () => {
    const clip = loadClip('debris-on-bank');
    await saveCamera(ctx, 'cam-bank');
    for (let i = 0; i < clip.truth.frameCount; i++) await feeder.feed('cam-bank', clip.frame(i), i);
    expect(await cameraAlerts(ctx, 'cam-bank')).toEqual([]);
    expect(await ctx.redis.xlen(ctx.keys.frameSummaries('cam-bank'))).toBe(clip.truth.frameCount);
  });

  it('debris leaving the view resolves the alert once the camera has been clear long enough', async () => {
    const clip = loadClip('debris-leaves');
    await saveCamera(ctx, 'cam-leaves', { resolveAfterSeconds: 3 });
    const lastDebris = Math.max(...clip.truth.frames.filter((f) => f.debrisOnWater).map((f) => f.index));
    for (let i = 0; i < clip.truth.frameCount; i++) await feeder.feed('cam-leaves', clip.frame(i), i);
    const alerts = await cameraAlerts(ctx, 'cam-leaves', 'debris');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe('resolved');
    expect(alerts[0]!.resolvedAt).toBeGreaterThanOrEqual(feeder.capturedAt(lastDebris) + 3000);
    expect(await ctx.redis.exists(ctx.keys.openAlert('cam-leaves', 'debris'))).toBe(0);
  });
});
