import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName, type FrameJob, type ServiceContext } from '@riverwatch/common';
import { start, type RunningIngest } from '@riverwatch/ingest';
import type { TestContext } from '../support/context.ts';
import { cameraConfig, deleteCamera, ingestTestContext, putCamera, readStatus, startFrameSink, testClip, waitFor } from './helpers.ts';

const clipUrl = () => pathToFileURL(testClip()).href;

describe('ingest follows the camera list without a restart', () => {
  let t: TestContext;
  let ctx: ServiceContext;
  let ingest: RunningIngest;
  let sink: Awaited<ReturnType<typeof startFrameSink>>;

  beforeAll(async () => {
    ({ t, ctx } = await ingestTestContext());
    sink = await startFrameSink(t);
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await sink?.close();
    await t?.cleanup();
  });

  const framesOf = (id: string, since = 0) => sink.frames.filter((f) => f.job.cameraId === id && f.job.capturedAt > since);

  it('picks up a camera added after start', async () => {
    await putCamera(t, cameraConfig('cam_added', clipUrl(), { maxWidth: 160 }));
    await waitFor('frames of the new camera', 15_000, async () => framesOf('cam_added').length >= 3);
    expect(framesOf('cam_added')[0].job.width).toBe(160);
    expect(ingest.heldCameraIds()).toContain('cam_added');
  });

  it('applies a changed config (new maxWidth) by restarting the stream', async () => {
    const changedAt = Date.now();
    await putCamera(t, cameraConfig('cam_added', clipUrl(), { maxWidth: 96, updatedAt: changedAt }));
    const resized = await waitFor('frames at the new width', 15_000, async () => framesOf('cam_added', changedAt).find((f) => f.job.width === 96));
    // 320x240 scaled to width 96 keeps the aspect ratio.
    expect(resized.job.height).toBe(72);
  });

  it('never scales a frame up: a maxWidth above the source width keeps the source size', async () => {
    const changedAt = Date.now();
    await putCamera(t, cameraConfig('cam_added', clipUrl(), { maxWidth: 4000, updatedAt: changedAt }));
    const f = await waitFor('frames after change', 15_000, async () => framesOf('cam_added', changedAt + 500).find((x) => x.job.width !== 96));
    expect([f.job.width, f.job.height]).toEqual([320, 240]);
  });

  it('stops a disabled camera and marks it stopped', async () => {
    await putCamera(t, cameraConfig('cam_added', clipUrl(), { enabled: false, updatedAt: Date.now() }));
    // Dropped from the held set at once; stopped state and lease release follow once ffmpeg is reaped.
    await waitFor('camera released', 10_000, async () => !ingest.heldCameraIds().includes('cam_added'));
    await waitFor('status stopped and lease given back', 10_000, async () =>
      (await readStatus(t, 'cam_added')).state === 'stopped' && (await t.redis.exists(t.keys.cameraLease('cam_added'))) === 0,
    );
    // Stays stopped: a disabled camera is not picked up again by the next syncs.
    await new Promise((r) => setTimeout(r, 1000));
    expect(ingest.heldCameraIds()).not.toContain('cam_added');
    expect((await readStatus(t, 'cam_added')).state).toBe('stopped');
  });

  it('stops a deleted camera and removes its status', async () => {
    await putCamera(t, cameraConfig('cam_gone', clipUrl()));
    await waitFor('frames of cam_gone', 15_000, async () => framesOf('cam_gone').length >= 1);
    await deleteCamera(t, 'cam_gone');
    await waitFor('camera dropped and forgotten', 10_000, async () =>
      !ingest.heldCameraIds().includes('cam_gone') && (await t.redis.exists(t.keys.cameraStatus('cam_gone'))) === 0,
    );
    const after = Date.now() + 300; // a frame already being queued may still land
    await new Promise((r) => setTimeout(r, 1200));
    expect(framesOf('cam_gone', after)).toEqual([]);
    expect(await t.redis.exists(t.keys.cameraStatus('cam_gone'), t.keys.cameraLease('cam_gone'))).toBe(0);
  });
});

describe('ingest backpressure: at most K frames in flight, latest wins', () => {
  let t: TestContext;
  let ingest: RunningIngest;
  let frames: Queue<FrameJob>;

  beforeAll(async () => {
    let ctx: ServiceContext;
    ({ t, ctx } = await ingestTestContext({ INGEST_MAX_IN_FLIGHT: '2' }));
    frames = new Queue<FrameJob>(QueueName.frames, { connection: t.redis, prefix: t.keys.queuePrefix });
    // No worker: nothing is ever taken, so every frame beyond the first two must replace one.
    await putCamera(t, cameraConfig('cam_busy', clipUrl(), { fps: 10 }));
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await frames?.close();
    await t?.cleanup();
  });

  it('keeps only the newest K frames waiting, deletes the bytes of replaced ones, and counts drops', async () => {
    const status = await waitFor('20 frames decoded', 20_000, async () => {
      const s = await readStatus(t, 'cam_busy');
      return Number(s.framesIn) >= 20 ? s : undefined;
    });
    expect(Number(status.drops)).toBeGreaterThan(10);
    const waiting = await frames.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(waiting.length).toBeLessThanOrEqual(2);
    const inFlight = await t.redis.zrange(t.keys.cameraInFlight('cam_busy'), 0, -1);
    expect(inFlight.length).toBeLessThanOrEqual(2);
    // Only the bytes of frames still in flight remain (memory in Redis is bounded too).
    const frameKeys = await t.redis.keys(`${t.keyPrefix}:frame:*`);
    expect(frameKeys.length).toBeLessThanOrEqual(3);
    // Latest wins: the waiting job is recent, not the first frame ever queued.
    const newest = Math.max(...waiting.map((j) => j.data.seq));
    expect(newest).toBeGreaterThan(10);
  });
});

describe('ingest from an HTTP snapshot URL', () => {
  let t: TestContext;
  let ingest: RunningIngest;
  let sink: Awaited<ReturnType<typeof startFrameSink>>;
  let server: Server;
  let requests = 0;

  beforeAll(async () => {
    let ctx: ServiceContext;
    ({ t, ctx } = await ingestTestContext());
    const still = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#2a6' } }).jpeg().toBuffer();
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': still.length }).end(still);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await putCamera(t, cameraConfig('cam_snap', `http://127.0.0.1:${port}/snapshot.jpg`, { fps: 4, maxWidth: 100 }));
    sink = await startFrameSink(t);
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await sink?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.cleanup();
  });

  it('polls the snapshot at the camera fps and queues scaled frames', async () => {
    await waitFor('6 snapshot frames', 15_000, async () => sink.frames.length >= 6);
    expect(sink.frames[0].job).toMatchObject({ cameraId: 'cam_snap', width: 100, height: 50 });
    // Each frame is a fresh request, not one image repeated by ffmpeg.
    expect(requests).toBeGreaterThanOrEqual(6);
  });
});

describe('ingest from an HTTP MJPEG stream', () => {
  let t: TestContext;
  let ingest: RunningIngest;
  let sink: Awaited<ReturnType<typeof startFrameSink>>;
  let server: Server;

  beforeAll(async () => {
    let ctx: ServiceContext;
    ({ t, ctx } = await ingestTestContext());
    const parts = await Promise.all(
      ['#135', '#246', '#357'].map((c) => sharp({ create: { width: 240, height: 180, channels: 3, background: c } }).jpeg().toBuffer()),
    );
    // A camera-style multipart/x-mixed-replace stream: one JPEG part every 100 ms.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=riverframe' });
      let i = 0;
      const timer = setInterval(() => {
        const jpeg = parts[i++ % parts.length];
        res.write(`--riverframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`);
        res.write(jpeg);
        res.write('\r\n');
      }, 100);
      res.once('close', () => clearInterval(timer));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    await putCamera(t, cameraConfig('cam_mjpeg', `http://127.0.0.1:${port}/video.mjpg`, { fps: 5, maxWidth: 120 }));
    sink = await startFrameSink(t);
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await sink?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await t?.cleanup();
  });

  it('decodes the stream continuously and queues scaled frames', async () => {
    await waitFor('6 MJPEG frames', 15_000, async () => sink.frames.length >= 6);
    expect(sink.frames[0].job).toMatchObject({ cameraId: 'cam_mjpeg', width: 120, height: 90 });
    const status = await readStatus(t, 'cam_mjpeg');
    expect(status.state).toBe('online');
    expect(Number(status.reconnects)).toBe(0);
  });
});
