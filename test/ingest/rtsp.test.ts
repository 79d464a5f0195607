import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueName, type CameraEventJob } from '@riverwatch/common';
import { start, type RunningIngest } from '@riverwatch/ingest';
import type { TestContext } from '../support/context.ts';
import {
  RtspServer,
  cameraConfig,
  ffmpegChildrenOf,
  ingestTestContext,
  liveEvents,
  putCamera,
  readStatus,
  startFrameSink,
  tcpListener,
  testClip,
  waitFor,
  type ReceivedFrame,
} from './helpers.ts';

/**
 * One camera on a real GStreamer RTSP server, pulled by a real ffmpeg through
 * the ingest service, frames taken by a stand-in worker. Failure settings are
 * short (stall 2 s, offline after 2 s, recovered after 1 s, backoff 200..1600 ms).
 */
describe('ingest from an RTSP camera', () => {
  let t: TestContext;
  let ingest: RunningIngest;
  let rtsp: RtspServer;
  let sink: Awaited<ReturnType<typeof startFrameSink>>;
  let cameraEvents: Queue<CameraEventJob>;
  const camId = 'cam_rtsp';

  const framesAfter = (since: number): ReceivedFrame[] => sink.frames.filter((f) => f.job.capturedAt > since);

  beforeAll(async () => {
    const { t: tc, ctx } = await ingestTestContext();
    t = tc;
    rtsp = new RtspServer(testClip());
    await rtsp.start();
    await putCamera(t, cameraConfig(camId, rtsp.url, { fps: 5, maxWidth: 160 }));
    sink = await startFrameSink(t);
    cameraEvents = new Queue<CameraEventJob>(QueueName.cameraEvents, { connection: t.redis, prefix: t.keys.queuePrefix });
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await sink?.close();
    await cameraEvents?.close();
    await rtsp?.kill();
    await t?.cleanup();
  });

  it('delivers frames at the camera fps and width into the frames queue, bytes in Redis with a TTL', async () => {
    await waitFor('12 frames', 20_000, async () => sink.frames.length >= 12);
    const frames = sink.frames.slice(0, 12);
    for (const f of frames) {
      expect(f.job).toMatchObject({ cameraId: camId, source: 'camera', width: 160, height: 120 });
      // The stand-in worker read real JPEG bytes, still under their TTL.
      expect(f.bytes?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      expect(f.ttl).toBeGreaterThan(0);
    }
    // seq grows with every frame; frameIds are unique.
    const seqs = frames.map((f) => f.job.seq).sort((a, b) => a - b);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(frames.map((f) => f.job.frameId)).size).toBe(frames.length);
    // Sampled at 5 fps, not at the clip's 10: the median gap between frames is near 200 ms.
    const times = sink.frames.map((f) => f.job.capturedAt).sort((a, b) => a - b);
    const gaps = times.slice(1).map((v, i) => v - times[i]).sort((a, b) => a - b);
    const median = gaps[Math.floor(gaps.length / 2)];
    expect(median).toBeGreaterThan(100);
    expect(median).toBeLessThan(400);

    const status = await readStatus(t, camId);
    expect(status).toMatchObject({ state: 'online', replica: ingest.replicaId });
    expect(Number(status.framesOut)).toBeGreaterThan(0);

    const metrics = await (await fetch(`http://127.0.0.1:${ingest.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`riverwatch_ingest_frames_in_total\\{camera="${camId}"\\} [1-9]`));
    expect(metrics).toMatch(new RegExp(`riverwatch_ingest_camera_online\\{camera="${camId}"\\} 1`));
  });

  it('a frozen source (SIGSTOP) is detected as a stall and ffmpeg is restarted; frames resume after SIGCONT', async () => {
    const before = await readStatus(t, camId);
    rtsp.signal('SIGSTOP');
    const stalled = await waitFor('a stall', 15_000, async () => {
      const s = await readStatus(t, camId);
      return Number(s.stalls) > Number(before.stalls ?? 0) && Number(s.reconnects) > Number(before.reconnects ?? 0) ? s : undefined;
    });
    expect(stalled.lastError).toMatch(/stalled|no frame/);
    const resumedAt = Date.now();
    rtsp.signal('SIGCONT');
    await waitFor('frames after SIGCONT', 20_000, async () => framesAfter(resumedAt).length >= 3);
    await waitFor('camera online again', 10_000, async () => (await readStatus(t, camId)).state === 'online');
  });

  it('server killed: camera.offline, reconnects back off; server back: camera.recovered and frames again', async () => {
    const killedAt = Date.now();
    const port = rtsp.port;
    await rtsp.kill();
    // Something answers on the port and hangs up at once, recording each reconnect attempt.
    const refuser = await tcpListener(port, (s) => s.destroy());
    try {
      const offline = await waitFor('camera.offline', 15_000, async () =>
        (await liveEvents(t, killedAt)).find((e) => e.type === 'camera.offline' && e.cameraId === camId),
      );
      expect(offline.data).toMatchObject({ replica: ingest.replicaId });
      const job = await waitFor('camera_offline job', 5000, async () =>
        (await cameraEvents.getJobs(['waiting'])).find((j) => j.data.type === 'camera_offline' && j.data.cameraId === camId && j.data.at >= killedAt),
      );
      expect(job.id).toBe(offline.id);
      expect((await readStatus(t, camId)).state).toBe('offline');

      await waitFor('5 reconnect attempts', 20_000, async () => refuser.attempts.length >= 5);
      const a = refuser.attempts;
      const gaps = a.slice(1).map((v, i) => v - a[i]);
      // Capped exponential backoff: the 4th wait (400..800 ms drawn, up to 1600) outlasts the 1st (100..200 ms).
      expect(gaps[3]).toBeGreaterThan(gaps[0]);
      expect(Number((await readStatus(t, camId)).reconnects)).toBeGreaterThanOrEqual(5);
    } finally {
      await refuser.close();
    }

    const restartedAt = Date.now();
    await rtsp.start(port);
    const recovered = await waitFor('camera.recovered', 20_000, async () =>
      (await liveEvents(t, restartedAt)).find((e) => e.type === 'camera.recovered' && e.cameraId === camId),
    );
    expect(recovered.at).toBeGreaterThan(restartedAt);
    await waitFor('frames after recovery', 10_000, async () => framesAfter(restartedAt).length >= 3);
    expect((await cameraEvents.getJobs(['waiting'])).some((j) => j.data.type === 'camera_recovered' && j.data.cameraId === camId)).toBe(true);
    expect((await readStatus(t, camId)).state).toBe('online');
  });

  it('stop() kills every ffmpeg child and reaps it (no zombies left behind)', async () => {
    expect(ffmpegChildrenOf(process.pid).length).toBe(1);
    await ingest.stop();
    expect(ffmpegChildrenOf(process.pid)).toEqual([]);
    expect((await readStatus(t, camId)).state).toBe('stopped');
    // The lease is given back for another replica.
    expect(await t.redis.exists(t.keys.cameraLease(camId))).toBe(0);
  });
});
