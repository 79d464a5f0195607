import { createServer, type Server, type ServerResponse } from 'node:http';
import fc from 'fast-check';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, type RunningIngest } from '@riverwatch/ingest';
import type { TestContext } from '../support/context.ts';
import { cameraConfig, ingestTestContext, putCamera, startFrameSink, waitFor } from '../ingest/helpers.ts';
import { assertMemoryBounded, fuzzSurface, memoryAfterGc } from './support/fuzz.ts';
import { malformedJpeg, sampleJpegs } from './support/jpeg-inputs.ts';

/**
 * Malformed MJPEG-over-HTTP streams into a running ingest service (real ffmpeg per
 * camera, real Redis): every request to the fuzz server answers the next stream drawn
 * with the surface's seed (wrong content types, boundaries and lengths; corrupt,
 * truncated and foreign parts), and the cameras reconnect to it again and again.
 * Fewer inputs than the in-process surfaces (each stream is an ffmpeg run); the
 * splitter and size reader take 10 000 in ingest-jpeg.test.ts. Ingest stays up, a good
 * camera beside the broken ones keeps delivering, memory stays bounded.
 */

interface StreamPart {
  jpeg: Buffer;
  length: 'right' | 'wrong' | 'none';
  boundary: 'right' | 'wrong' | 'none';
}

interface HttpStream {
  contentType: string;
  parts: StreamPart[];
  /** Stop mid-part (the camera drops the connection). */
  cutLast: boolean;
}

const BOUNDARY = 'riverframe';

function streamArb(samples: Buffer[]): fc.Arbitrary<HttpStream> {
  return fc.record({
    contentType: fc.constantFrom(
      `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      `multipart/x-mixed-replace; boundary=${BOUNDARY}`,
      'multipart/x-mixed-replace',
      'image/jpeg',
      'text/html',
      'application/octet-stream',
    ),
    parts: fc.array(
      fc.record({
        jpeg: fc.oneof(fc.integer({ min: 0, max: samples.length - 1 }).map((i) => samples[i]!), malformedJpeg(samples)),
        length: fc.constantFrom('right', 'right', 'wrong', 'none'),
        boundary: fc.constantFrom('right', 'right', 'right', 'wrong', 'none'),
      }),
      { maxLength: 12 },
    ),
    cutLast: fc.boolean(),
  });
}

function writeStream(res: ServerResponse, s: HttpStream): void {
  res.writeHead(200, { 'content-type': s.contentType });
  s.parts.forEach((p, i) => {
    const length = p.length === 'right' ? `Content-Length: ${p.jpeg.length}\r\n` : p.length === 'wrong' ? `Content-Length: ${p.jpeg.length * 3 + 7}\r\n` : '';
    const boundary = p.boundary === 'right' ? `--${BOUNDARY}\r\n` : p.boundary === 'wrong' ? '--elsewhere\r\n' : '';
    res.write(`${boundary}Content-Type: image/jpeg\r\n${length}\r\n`);
    const last = i === s.parts.length - 1;
    res.write(last && s.cutLast ? p.jpeg.subarray(0, p.jpeg.length >> 1) : p.jpeg);
    res.write('\r\n');
  });
  res.end();
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

describe('fuzz: malformed MJPEG-over-HTTP streams into a running ingest', () => {
  let t: TestContext;
  let ingest: RunningIngest;
  let sink: Awaited<ReturnType<typeof startFrameSink>>;
  const servers: Server[] = [];
  let served = 0;
  let streams: HttpStream[];
  const surface = fuzzSurface('ingest-mjpeg-http', 200);

  beforeAll(async () => {
    const samples = await sampleJpegs();
    streams = fc.sample(streamArb(samples), { seed: surface.seed, numRuns: surface.runs });
    const fuzzServer = createServer((_req, res) => writeStream(res, streams[served++ % streams.length]!));
    // A camera that behaves, beside the broken ones.
    const frame = await sharp({ create: { width: 160, height: 120, channels: 3, background: '#246' } }).jpeg().toBuffer();
    const goodServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}` });
      const timer = setInterval(() => res.write(Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${frame.length}\r\n\r\n`), frame, Buffer.from('\r\n')])), 100);
      res.once('close', () => clearInterval(timer));
    });
    servers.push(fuzzServer, goodServer);
    const [fuzzPort, goodPort] = [await listen(fuzzServer), await listen(goodServer)];

    const { t: tc, ctx } = await ingestTestContext({ INGEST_STALL_SECONDS: '1', INGEST_BACKOFF_BASE_MS: '50', INGEST_BACKOFF_CAP_MS: '200' });
    t = tc;
    await putCamera(t, cameraConfig('cam_good', `http://127.0.0.1:${goodPort}/video.mjpg`, { fps: 5, maxWidth: 120 }));
    for (let i = 0; i < 4; i++) await putCamera(t, cameraConfig(`cam_fuzz${i}`, `http://127.0.0.1:${fuzzPort}/cam${i}.mjpg`, { fps: 5, maxWidth: 120 }));
    sink = await startFrameSink(t);
    ingest = await start(ctx);
  });

  afterAll(async () => {
    await ingest?.stop();
    await sink?.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
    await t?.cleanup();
  });

  it('stays up through every stream, and the good camera keeps delivering', async () => {
    await waitFor('the good camera’s first frame', 30_000, async () => sink.frames.some((f) => f.job.cameraId === 'cam_good'));
    const before = memoryAfterGc();
    // Each connect is a probe request and ffmpeg's request: wait until every drawn stream was served.
    await waitFor(`${surface.runs} fuzzed streams served`, 600_000, async () => served >= surface.runs, 200);
    const goodBefore = sink.frames.filter((f) => f.job.cameraId === 'cam_good').length;
    await waitFor('more frames from the good camera', 30_000, async () => sink.frames.filter((f) => f.job.cameraId === 'cam_good').length > goodBefore + 2);
    const health = await fetch(`http://127.0.0.1:${ingest.metricsPort}/healthz`);
    expect(health.status).toBe(200);
    // Every frame ingest queued from a fuzz camera is one a JPEG decoder accepts the size of.
    for (const f of sink.frames.filter((x) => x.job.cameraId.startsWith('cam_fuzz'))) {
      expect(f.job.width).toBeGreaterThan(0);
      expect(f.bytes?.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    }
    const metrics = await (await fetch(`http://127.0.0.1:${ingest.metricsPort}/metrics`)).text();
    console.log(`[fuzz] ingest-mjpeg-http: ${served} streams served; frames queued: good ${sink.frames.filter((f) => f.job.cameraId === 'cam_good').length}, fuzz cameras ${sink.frames.length - sink.frames.filter((f) => f.job.cameraId === 'cam_good').length}; corrupt counted: ${(metrics.match(/riverwatch_ingest_corrupt_total\{camera="cam_fuzz\d"\} \d+/g) ?? []).join(', ')}`);
    assertMemoryBounded(surface.name, before, { heapMiB: 32, rssMiB: 128 });
  });
});
