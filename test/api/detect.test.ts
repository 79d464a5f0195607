import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let h: ApiHarness;
let png: Buffer;
let jpeg: Buffer;
beforeAll(async () => {
  h = await createApiHarness({ MAX_UPLOAD_BYTES: '65536', DETECT_TIMEOUT_MS: '300' });
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).png().toBuffer();
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#336699' } }).jpeg().toBuffer();
});
afterAll(async () => {
  await h?.close();
});

/** Nothing was enqueued and no frame bytes were stored. */
async function expectNothingQueued() {
  const counts = await h.deps.frameQueue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
  expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  expect(await h.t.redis.keys(`${h.t.keyPrefix}:frame:*`)).toEqual([]);
}

function multipart(file: Buffer, type: string, field = 'image') {
  const boundary = '----riverwatch-test';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="river.bin"\r\nContent-Type: ${type}\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { payload: Buffer.concat([head, file, tail]), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

describe('POST /v1/detect bad input (never enqueues)', () => {
  it.each([
    ['a JSON body', 'application/json', Buffer.from('{"image":"river.jpg"}')],
    ['malformed JSON', 'application/json', Buffer.from('{"image":')],
    ['plain text', 'text/plain', Buffer.from('hello river')],
    ['a GIF labelled as PNG', 'image/png', Buffer.from('GIF89a\x01\x00\x01\x00')],
    ['random bytes as octet-stream', 'application/octet-stream', Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9])],
  ])('%s is a 415 with a message', async (_why, type, payload) => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), 'content-type': type }, payload });
    expect(res.statusCode, res.body).toBe(415);
    expect(res.json().message).toMatch(/JPEG|PNG/);
    await expectNothingQueued();
  });

  it('a non-image multipart file is a 415', async () => {
    const { payload, headers } = multipart(Buffer.from('%PDF-1.4 not an image'), 'application/pdf');
    const res = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), ...headers }, payload });
    expect(res.statusCode, res.body).toBe(415);
    await expectNothingQueued();
  });

  it('an empty body and a truncated PNG are 400s', async () => {
    const empty = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), 'content-type': 'image/png' }, payload: Buffer.alloc(0) });
    expect(empty.statusCode, empty.body).toBe(400);
    const truncated = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), 'content-type': 'image/png' }, payload: png.subarray(0, 20) });
    expect(truncated.statusCode, truncated.body).toBe(400);
    expect(truncated.json().message).toMatch(/damaged|truncated/);
    await expectNothingQueued();
  });

  it('a multipart request without a file is a 400', async () => {
    const boundary = 'b0undary';
    const payload = `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const res = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(res.statusCode, res.body).toBe(400);
    await expectNothingQueued();
  });

  it('bodies over MAX_UPLOAD_BYTES are 413s, raw or multipart', async () => {
    const big = Buffer.concat([jpeg, Buffer.alloc(70_000)]);
    const raw = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), 'content-type': 'image/jpeg' }, payload: big });
    expect(raw.statusCode, raw.body).toBe(413);
    const { payload, headers } = multipart(big, 'image/jpeg');
    const form = await h.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...h.auth(), ...headers }, payload });
    expect(form.statusCode, form.body).toBe(413);
    await expectNothingQueued();
  });

  it('an unknown model name pattern is a 400', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/detect?model=../x', headers: { ...h.auth(), 'content-type': 'image/png' }, payload: png });
    expect(res.statusCode).toBe(400);
    await expectNothingQueued();
  });
});

describe('POST /v1/detect with a valid image', () => {
  it('stores the frame, queues a frame job with jobId = frameId, and answers 504 when no worker finishes in time', async () => {
    const { payload, headers } = multipart(png, 'image/png');
    const res = await h.app.inject({ method: 'POST', url: '/v1/detect?model=debris-ssd', headers: { ...h.auth(), ...headers }, payload });
    expect(res.statusCode, res.body).toBe(504);
    expect(res.json().message).toBe('detection did not finish in time');
    const [job] = await h.deps.frameQueue.getJobs(['waiting']);
    expect(job).toBeDefined();
    expect(job!.id).toBe(job!.data.frameId);
    expect(job!.data).toMatchObject({ cameraId: 'upload', source: 'upload', seq: 0, width: 64, height: 48, detectorModel: 'debris-ssd' });
    const stored = await h.t.redis.getBuffer(h.t.keys.frame(job!.data.frameId));
    expect(stored?.equals(png)).toBe(true);
    const ttl = await h.t.redis.ttl(h.t.keys.frame(job!.data.frameId));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(h.t.config.frameTtlSeconds);
    await h.deps.frameQueue.obliterate({ force: true });
  });

  it('returns the worker result with links to the annotated image and mask, which are served', async () => {
    // Plays the worker's part with a real BullMQ worker on the same queue.
    const { Worker } = await import('bullmq');
    const { QueueName, createRedis } = await import('@riverwatch/common');
    const conn = createRedis(h.t.redisUrl, 'blocking');
    const annotated = jpeg;
    const worker = new Worker(
      QueueName.frames,
      async (job) => {
        await h.t.redis.hset(h.t.keys.frameResult(job.data.frameId), { annotated, mask: png });
        return {
          frameId: job.data.frameId, cameraId: 'upload', width: job.data.width, height: job.data.height,
          detections: [{ classId: 0, className: 'bottle', score: 0.9, box: [1, 2, 30, 40] }],
          ignored: 0, coverage: 0.1, waterShare: 0.6, models: { detector: 'debris-yolov5', detectorVersion: '1' }, latencyMs: { total: 12, inference: 8 },
        };
      },
      { connection: conn, prefix: h.t.keys.queuePrefix },
    );
    try {
      const slow = await createApiHarness({ DETECT_TIMEOUT_MS: '20000', KEY_PREFIX: h.t.keyPrefix });
      try {
        const res = await slow.app.inject({ method: 'POST', url: '/v1/detect', headers: { ...slow.auth(), 'content-type': 'image/jpeg' }, payload: jpeg });
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json();
        expect(body.detections[0]).toMatchObject({ className: 'bottle', box: [1, 2, 30, 40] });
        expect(body.annotatedUrl).toBe(`/v1/detect/${body.frameId}/annotated.jpg`);
        expect(body.maskUrl).toBe(`/v1/detect/${body.frameId}/mask.png`);
        const img = await slow.app.inject({ url: body.annotatedUrl, headers: slow.auth() });
        expect(img.headers['content-type']).toBe('image/jpeg');
        expect(img.rawPayload.equals(annotated)).toBe(true);
        const mask = await slow.app.inject({ url: body.maskUrl, headers: slow.auth() });
        expect(mask.headers['content-type']).toBe('image/png');
        expect((await slow.app.inject({ url: '/v1/detect/frm_000000000000000000000/annotated.jpg', headers: slow.auth() })).statusCode).toBe(404);
        expect((await slow.app.inject({ url: '/v1/detect/../annotated.jpg', headers: slow.auth() })).statusCode).toBe(404);
      } finally {
        await slow.app.close();
        await slow.deps.close();
        slow.t.redis.disconnect();
      }
    } finally {
      await worker.close();
      conn.disconnect();
    }
  });
});
