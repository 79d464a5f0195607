import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type RunningIngest } from '@riverwatch/ingest';
import type { TestContext } from '../support/context.ts';
import { cameraConfig, ingestTestContext, putCamera, readStatus, startFrameSink, tcpListener, testClip, waitFor } from './helpers.ts';

/**
 * Bad cameras next to a good one, all in one ingest service: a garbage MJPEG
 * stream over HTTP, garbage bytes on an RTSP port, an RTSP port and an HTTP
 * URL that accept but never answer, and an unsupported scheme. Each must be
 * counted as an error and retried; the service and the good camera carry on.
 */
describe('ingest with broken cameras', () => {
  let t: TestContext;
  let ingest: RunningIngest;
  let sink: Awaited<ReturnType<typeof startFrameSink>>;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const { t: tc, ctx } = await ingestTestContext({ INGEST_STALL_SECONDS: '1', INGEST_OFFLINE_AFTER_SECONDS: '3' });
    t = tc;

    // HTTP "MJPEG stream" whose body is random bytes forever.
    const garbageHttp = await listenHttp((_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/x-mixed-replace; boundary=frame' });
      const timer = setInterval(() => res.write(randomBytes(4096)), 20);
      res.once('close', () => clearInterval(timer));
    });
    // HTTP server that takes the request and never sends headers.
    const silentHttp = await listenHttp(() => {});
    // RTSP port that answers with random bytes; RTSP port that accepts and says nothing.
    const garbageRtsp = await tcpListener(0, (s) => {
      const timer = setInterval(() => s.write(randomBytes(2048)), 20);
      s.once('close', () => clearInterval(timer));
    });
    const silentRtsp = await tcpListener(0, () => {});
    closers.push(garbageRtsp.close, silentRtsp.close, () => closeHttp(garbageHttp.server), () => closeHttp(silentHttp.server));

    await putCamera(t, cameraConfig('cam_good', pathToFileURL(testClip()).href, { fps: 5, maxWidth: 160 }));
    await putCamera(t, cameraConfig('cam_garbage_http', `http://127.0.0.1:${garbageHttp.port}/mjpeg`));
    await putCamera(t, cameraConfig('cam_garbage_rtsp', `rtsp://127.0.0.1:${garbageRtsp.port}/river`));
    await putCamera(t, cameraConfig('cam_silent_rtsp', `rtsp://127.0.0.1:${silentRtsp.port}/river`));
    await putCamera(t, cameraConfig('cam_silent_http', `http://127.0.0.1:${silentHttp.port}/snapshot.jpg`));
    await putCamera(t, cameraConfig('cam_ftp', 'ftp://127.0.0.1/river.mp4'));
    sink = await startFrameSink(t);
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await sink?.close();
    for (const close of closers) await close();
    await t?.cleanup();
  });

  it('counts every broken camera as failing and keeps retrying it', async () => {
    for (const id of ['cam_garbage_http', 'cam_garbage_rtsp', 'cam_silent_rtsp', 'cam_silent_http', 'cam_ftp']) {
      // Each bad camera fails, is retried (reconnects >= 2), says why, and never counts a frame.
      const s = await waitFor(`${id} retried twice`, 20_000, async () => {
        const st = await readStatus(t, id);
        return Number(st.reconnects) >= 2 ? st : undefined;
      });
      expect(s.lastError, id).toBeTruthy();
      expect(Number(s.framesOut), id).toBe(0);
      expect(s.state, id).not.toBe('online');
    }
    expect((await readStatus(t, 'cam_ftp')).lastError).toMatch(/unsupported source scheme/);
    expect((await readStatus(t, 'cam_silent_http')).lastError).toMatch(/no HTTP response/);
  });

  it('reports the garbage streams as corrupt input', async () => {
    // ffmpeg rejects random bytes ("Invalid data found"): counted as corrupt, not fatal.
    for (const id of ['cam_garbage_http', 'cam_garbage_rtsp']) {
      await waitFor(`${id} corrupt count`, 15_000, async () => Number((await readStatus(t, id)).corrupt) > 0);
    }
    const metrics = await (await fetch(`http://127.0.0.1:${ingest.metricsPort}/metrics`)).text();
    expect(metrics).toMatch(/riverwatch_ingest_corrupt_total\{camera="cam_garbage_http"\} [1-9]/);
    expect(metrics).toMatch(/riverwatch_ingest_reconnects_total\{camera="cam_silent_rtsp"\} [1-9]/);
  });

  it('the broken cameras go offline; the good one stays online and its frames keep flowing', async () => {
    await waitFor('silent camera offline', 15_000, async () => (await readStatus(t, 'cam_silent_rtsp')).state === 'offline');
    const mark = Date.now();
    await waitFor('good frames after the faults', 10_000, async () => sink.frames.filter((f) => f.job.cameraId === 'cam_good' && f.job.capturedAt > mark).length >= 5);
    expect(sink.frames.every((f) => f.job.cameraId === 'cam_good')).toBe(true);
    const good = await readStatus(t, 'cam_good');
    expect(good.state).toBe('online');
    expect(Number(good.reconnects)).toBe(0);
    const health = await fetch(`http://127.0.0.1:${ingest.metricsPort}/healthz`);
    expect(health.status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${ingest.metricsPort}/readyz`);
    expect(ready.status).toBe(200);
  });
});

async function listenHttp(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as { port: number }).port };
}

async function closeHttp(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
}
