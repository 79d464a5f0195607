import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { cameraAlerts, loadClip, saveCamera } from '../support/clip-feeder.ts';
import { metricValue, scrape } from '../inference/support.ts';
import { apiBase, workerMetricsPort } from '../support/stack.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';

/**
 * Deleting a camera through the API while it has an open alert and a history. What must
 * hold: the open alert resolves (operators and webhooks hear alert.resolved) and stays
 * readable; the camera's live state and history stream leave Redis; a frame of it still in
 * the queue is dropped and counted, and re-creates nothing.
 */
describe('a camera deleted with an open alert', () => {
  let run: ModelStack | undefined;

  afterAll(() => run?.stop());

  it('resolves its alerts, drops its state and ignores its late frames', async () => {
    run = await startModelStack({ services: ['inference', 'worker', 'api'] });
    const { ctx, stack, feeder } = run;
    const base = apiBase(stack);
    const workerMetrics = workerMetricsPort(stack);
    const clip = loadClip('debris-appears');
    const cameraId = 'cam-deleted';
    await saveCamera(ctx, cameraId);
    for (let i = 0; i < 28; i++) await feeder.feed(cameraId, clip.frame(i), i);
    const [open] = await cameraAlerts(ctx, cameraId, 'debris');
    expect(open?.status).toBe('open');
    const liveKeys = [ctx.keys.frameSummaries(cameraId), ctx.keys.liveFrame(cameraId), ctx.keys.tracker(cameraId), ctx.keys.waterMask(cameraId)];
    expect(await ctx.redis.exists(...liveKeys)).toBe(liveKeys.length);
    expect((await ctx.store.list('masks', `${cameraId}/`)).length).toBeGreaterThan(0);
    // The mask the worker segmented, as operators see it through the API.
    const maskRes = await fetch(`${base}/v1/cameras/${cameraId}/mask.png`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(maskRes.status).toBe(200);
    expect(await sharp(Buffer.from(await maskRes.arrayBuffer())).metadata()).toMatchObject({ format: 'png', width: 640, height: 360 });

    const res = await fetch(`${base}/v1/cameras/${cameraId}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(res.status).toBe(204);

    await expect.poll(async () => (await cameraAlerts(ctx!, cameraId, 'debris'))[0]?.status, { timeout: 15_000 }).toBe('resolved');
    const [resolved] = await cameraAlerts(ctx, cameraId, 'debris');
    expect(resolved!.id).toBe(open!.id);
    expect(resolved!.resolvedAt).toBeGreaterThan(0);
    expect(await ctx.redis.exists(ctx.keys.openAlert(cameraId, 'debris'))).toBe(0);
    expect(await ctx.redis.exists(...liveKeys)).toBe(0);
    await expect.poll(async () => (await ctx!.store.list('masks', `${cameraId}/`)).length).toBe(0);
    // Operators hear about it on the live event stream (and through webhooks, from the same publish).
    const events = (await ctx.redis.xrange(ctx.keys.events(), '-', '+')).map(([, fields]) => JSON.parse(fields[1]!) as { type: string; cameraId: string });
    expect(events.filter((e) => e.cameraId === cameraId).map((e) => e.type)).toEqual(expect.arrayContaining(['alert.opened', 'camera.deleted', 'alert.resolved']));
    // The alert itself stays readable through the API until retention removes it.
    const got = await fetch(`${base}/v1/alerts/${open!.id}`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    expect(got.status).toBe(200);

    // A frame of the camera that was still queued: processed, dropped, counted; nothing comes back.
    await feeder.feed(cameraId, clip.frame(28), 28);
    expect(metricValue(await scrape(workerMetrics), 'riverwatch_worker_frames_total', { outcome: 'camera_deleted' })).toBe(1);
    expect(await ctx.redis.exists(...liveKeys)).toBe(0);
    expect((await cameraAlerts(ctx, cameraId)).map((a) => a.status)).toEqual(['resolved']);
  });
});
