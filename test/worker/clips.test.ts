import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { Queue } from 'bullmq';
import { QueueName, type AlertRecord, type CameraEventJob, type LiveEvent } from '@riverwatch/common';
import type { TestContext } from '../support/context.ts';
import { runCli } from '../support/cli.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';
import { HistoryRepository } from '../../services/api/src/repositories/history-repository.ts';
import { alertFramesCounted, cameraAlerts, loadClip, saveCamera, truthCoverage, type ClipFeeder } from '../support/clip-feeder.ts';

/**
 * The worker against real Redis, the S3 server and the inference service with
 * the shipped models, on rendered clips whose ground truth says what must happen.
 */
describe('worker on rendered clips', () => {
  let run: ModelStack;
  let ctx: TestContext;
  let feeder: ClipFeeder;

  beforeAll(async () => {
    run = await startModelStack({ env: { WORKER_CONCURRENCY: '2' } });
    ({ ctx, feeder } = run);
  });

  afterAll(() => run?.stop());

  it('debris appearing at frame 20 opens a debris alert within the persistence window, with evidence in S3', async () => {
    const clip = loadClip('debris-appears');
    await saveCamera(ctx, 'cam-appears');
    for (let i = 0; i < 20; i++) await feeder.feed('cam-appears', clip.frame(i), i);
    expect(await cameraAlerts(ctx, 'cam-appears', 'debris')).toEqual([]);
    // A finished frame's bytes leave Redis (they are read once, by the worker).
    const [, last] = (await ctx.redis.xrevrange(ctx.keys.frameSummaries('cam-appears'), '+', '-', 'COUNT', 1))[0]!;
    await expect.poll(() => ctx.redis.exists(ctx.keys.frame((JSON.parse(last[1]!) as { frameId: string }).frameId))).toBe(0);

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
    // The water mask is segmented once and reused for segmentEveryFrames (25) frames, then refreshed.
    // (The worker holding it counts its uses; Redis keeps the count it was written with.)
    const mask = await ctx.redis.hmget(ctx.keys.waterMask('cam-appears'), 'at', 'uses');
    expect(Number(mask[0])).toBe(feeder.capturedAt(25));
    expect(Number(mask[1])).toBe(1);
    expect(await ctx.store.list('masks', 'cam-appears/')).toEqual([`cam-appears/${feeder.capturedAt(0)}.png`, `cam-appears/${feeder.capturedAt(25)}.png`]);
    const events = (await ctx.redis.xrange(ctx.keys.events(), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as LiveEvent);
    expect(events.some((e) => e.type === 'alert.opened' && (e.data.alert as AlertRecord).id === alert.id)).toBe(true);
  });

  it('the same frame job delivered twice gives one alert and one count', async () => {
    const clip = loadClip('debris-appears');
    const summaries = ctx.keys.frameSummaries('cam-appears');
    const before = await ctx.redis.xlen(summaries);
    const countedBefore = await alertFramesCounted(ctx, (await cameraAlerts(ctx, 'cam-appears', 'debris'))[0]!);
    const job = await feeder.feed('cam-appears', clip.frame(30), 30);
    expect(await ctx.redis.xlen(summaries)).toBe(before + 1);
    const countedAfterFirst = await alertFramesCounted(ctx, (await cameraAlerts(ctx, 'cam-appears', 'debris'))[0]!);

    // Re-delivery: the finished job is gone from BullMQ and the same frame id arrives again.
    await (await feeder.queue.getJob(job.frameId))!.remove();
    await feeder.feed('cam-appears', clip.frame(30), 30, job.frameId);
    expect(await ctx.redis.xlen(summaries)).toBe(before + 1);
    const alerts = await cameraAlerts(ctx, 'cam-appears', 'debris');
    expect(alerts).toHaveLength(1);
    expect(await alertFramesCounted(ctx, alerts[0]!)).toBe(countedAfterFirst);
    expect(countedAfterFirst).toBe(countedBefore + 1);
  });

  it('a frame committed after a newer one counts in the history without moving the camera back in time', async () => {
    const clip = loadClip('debris-on-bank');
    await saveCamera(ctx, 'cam-late');
    await feeder.feed('cam-late', clip.frame(10), 10);
    await feeder.feed('cam-late', clip.frame(4), 4); // late: e.g. a slower worker, or a retry
    const entries = await ctx.redis.xrange(ctx.keys.frameSummaries('cam-late'), '-', '+');
    // Stream ids must grow: the late frame is filed at the newest capture time and keeps its own.
    expect(entries.map(([id, f]) => [Number(id.split('-')[0]), (JSON.parse(f[1]!) as { capturedAt: number }).capturedAt])).toEqual([
      [feeder.capturedAt(10), feeder.capturedAt(10)],
      [feeder.capturedAt(10), feeder.capturedAt(4)],
    ]);
    // The camera's latest (the API's history `latest`) is the newest capture, not the last filed.
    expect((await new HistoryRepository(ctx.redis, ctx.keys).latest('cam-late'))?.capturedAt).toBe(feeder.capturedAt(10));
  });

  it('debris lying on the bank, off the water, raises no alert', async () => {
    const clip = loadClip('debris-on-bank');
    await saveCamera(ctx, 'cam-bank');
    for (let i = 0; i < clip.truth.frameCount; i++) await feeder.feed('cam-bank', clip.frame(i), i);
    expect(await cameraAlerts(ctx, 'cam-bank')).toEqual([]);
    expect(await ctx.redis.xlen(ctx.keys.frameSummaries('cam-bank'))).toBe(clip.truth.frameCount);
  });

  it('litter piling up opens an accumulation alert once it covers 5% of the water; debris that floats in and stays does not', async () => {
    const pile = loadClip('debris-accumulates');
    const coverage = await truthCoverage(pile);
    const firstFrameAt = (share: number) => coverage.findIndex((c) => c >= share);
    await saveCamera(ctx, 'cam-pile');
    for (let i = 0; i < pile.truth.frameCount; i++) await feeder.feed('cam-pile', pile.frame(i), i);
    const alerts = await cameraAlerts(ctx, 'cam-pile', 'accumulation');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.status).toBe('open');
    // Not while the litter covered less than half the threshold, and soon after it crossed it.
    expect(alerts[0]!.openedAt).toBeGreaterThanOrEqual(feeder.capturedAt(firstFrameAt(0.025)));
    expect(alerts[0]!.openedAt).toBeLessThanOrEqual(feeder.capturedAt(firstFrameAt(0.05) + 10));
    expect(alerts[0]!.maxCoverage).toBeGreaterThanOrEqual(0.05);

    // The whole debris-appears clip (30 s): three items float in together and stay, about 4% of
    // the water. That is debris, not accumulation: a sudden step is not sustained growth.
    const step = loadClip('debris-appears');
    expect(Math.max(...(await truthCoverage(step)))).toBeLessThan(0.05);
    await saveCamera(ctx, 'cam-step');
    for (let i = 0; i < step.truth.frameCount; i++) await feeder.feed('cam-step', step.frame(i), i);
    expect(await cameraAlerts(ctx, 'cam-step', 'debris')).toHaveLength(1);
    expect(await cameraAlerts(ctx, 'cam-step', 'accumulation')).toEqual([]);
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

  it('a rejected alert feeds the labelling loop, and dataset export writes it as a YOLO dataset', async () => {
    const [alert] = await cameraAlerts(ctx, 'cam-appears', 'debris');
    // What the API does on POST /v1/alerts/:id/reject.
    await ctx.redis.rpush(ctx.keys.reviewRejected(), alert!.id);
    const base = `cam-appears/${alert!.lastFrameId}`;
    for (let i = 0; i < 100 && (await ctx.redis.zscore(ctx.keys.reviewIndex(), base)) === null; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await ctx.redis.zscore(ctx.keys.reviewIndex(), base)).not.toBeNull();

    const out = mkdtempSync(join(tmpdir(), 'rw-export-'));
    const run = runCli(['dataset', 'export', '--from', String(feeder.t0), '--to', String(Date.now()), out], ctx.env);
    expect((await run.exited).code, run.output()).toBe(0);
    const images = readdirSync(join(out, 'images'));
    expect(images.length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(join(out, 'labels'))).toHaveLength(images.length);
    expect(readFileSync(join(out, 'data.yaml'), 'utf8')).toMatch(/names: \["bottle", "bag", "foam", "can", "wood"\]/);
    // The rejected frame is a hard negative: an image with an empty label file.
    const name = base.replace(/[^a-zA-Z0-9_-]/g, '_');
    expect(existsSync(join(out, 'images', `${name}.jpg`))).toBe(true);
    expect(readFileSync(join(out, 'labels', `${name}.txt`), 'utf8')).toBe('');
    // Every other label line is a valid YOLO box.
    for (const file of readdirSync(join(out, 'labels'))) {
      for (const line of readFileSync(join(out, 'labels', file), 'utf8').split('\n').filter(Boolean)) {
        expect(line).toMatch(/^[0-4] (0|1|0\.\d+) (0|1|0\.\d+) (0|1|0\.\d+) (0|1|0\.\d+)$/);
      }
    }
  });

  it('a covered lens raises view_blocked; an offline camera raises camera_offline until it recovers', async () => {
    await saveCamera(ctx, 'cam-covered');
    const grey = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#202020' } }).jpeg().toBuffer();
    for (let i = 0; i < 3; i++) await feeder.feed('cam-covered', grey, i);
    const blocked = await cameraAlerts(ctx, 'cam-covered', 'view_blocked');
    expect(blocked.map((a) => a.status)).toEqual(['open']);
    expect(await cameraAlerts(ctx, 'cam-covered', 'debris')).toEqual([]);

    const events = new Queue<CameraEventJob>(QueueName.cameraEvents, { connection: ctx.redis.duplicate(), prefix: ctx.keys.queuePrefix });
    await events.add('camera_offline', { type: 'camera_offline', cameraId: 'cam-covered', at: Date.now(), reason: 'no frames' });
    const waitFor = async (status: string) => {
      for (let i = 0; i < 100; i++) {
        const a = await cameraAlerts(ctx, 'cam-covered', 'camera_offline');
        if (a.length === 1 && a[0]!.status === status) return a[0]!;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`camera_offline alert never became ${status}`);
    };
    await waitFor('open');
    await events.add('camera_recovered', { type: 'camera_recovered', cameraId: 'cam-covered', at: Date.now() });
    const resolved = await waitFor('resolved');
    expect(resolved.resolvedAt).toBeGreaterThanOrEqual(resolved.openedAt);
    await events.close();
  });
});
