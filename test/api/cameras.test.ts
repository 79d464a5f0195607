import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { EvidenceKeys, writeCachedWaterMask, type CameraConfig } from '@riverwatch/common';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.close();
});

const source = 'rtsp://admin:hunter2@10.0.0.5:554/stream1?channel=1&pwd=hunter2';

async function createCamera(body: Record<string, unknown> = {}) {
  const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name: 'Weir bridge', sourceUrl: source, ...body } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as CameraConfig;
}

describe('cameras', () => {
  it('creates a camera with defaults, stores it for ingest, and never echoes credentials', async () => {
    const cam = await createCamera({ fps: 2, rules: { minScore: 0.5 } });
    expect(cam.id).toMatch(/^cam_/);
    expect(cam.fps).toBe(2);
    expect(cam.rules.minScore).toBe(0.5);
    expect(cam.rules.persistence).toEqual({ n: 3, m: 5 });
    expect(cam.detectorModel).toBe(h.t.config.worker.detectorModel);
    expect(cam.sourceUrl).not.toContain('hunter2');
    expect(cam.sourceUrl).not.toContain('admin');
    expect(cam.sourceUrl).toContain('10.0.0.5:554/stream1');

    // Ingest reads the full config (with credentials) from Redis and the id from the index.
    const stored = JSON.parse((await h.t.redis.get(h.t.keys.camera(cam.id)))!) as CameraConfig;
    expect(stored.sourceUrl).toBe(source);
    expect(await h.t.redis.sismember(h.t.keys.cameraIndex(), cam.id)).toBe(1);

    const got = await h.app.inject({ url: `/v1/cameras/${cam.id}`, headers: h.auth() });
    expect(got.statusCode).toBe(200);
    expect(got.body).not.toContain('hunter2');
    const list = await h.app.inject({ url: '/v1/cameras', headers: h.auth() });
    expect(list.json().items.map((c: CameraConfig) => c.id)).toContain(cam.id);
    expect(list.body).not.toContain('hunter2');
  });

  it('publishes camera.created / updated / deleted on the live event stream', async () => {
    const cam = await createCamera();
    await h.app.inject({ method: 'PATCH', url: `/v1/cameras/${cam.id}`, headers: h.auth(), payload: { fps: 5 } });
    await h.app.inject({ method: 'DELETE', url: `/v1/cameras/${cam.id}`, headers: h.auth() });
    const entries = await h.t.redis.xrange(h.t.keys.events(), '-', '+');
    const types = entries.map(([, f]) => JSON.parse(f[1]!)).filter((e) => e.cameraId === cam.id).map((e) => e.type);
    expect(types).toEqual(['camera.created', 'camera.updated', 'camera.deleted']);
    expect(JSON.stringify(entries)).not.toContain('hunter2');
  });

  it('patches fields and merges rules; the update is what ingest reads', async () => {
    const cam = await createCamera();
    const res = await h.app.inject({
      method: 'PATCH',
      url: `/v1/cameras/${cam.id}`,
      headers: h.auth(),
      payload: { name: 'Weir bridge (east)', rules: { coverage: { threshold: 0.1, growthPerMinute: 0.05 } }, enabled: false },
    });
    expect(res.statusCode, res.body).toBe(200);
    const updated = res.json() as CameraConfig;
    expect(updated.name).toBe('Weir bridge (east)');
    expect(updated.enabled).toBe(false);
    expect(updated.rules.coverage.threshold).toBe(0.1);
    expect(updated.rules.minScore).toBe(cam.rules.minScore);
    expect(updated.updatedAt).toBeGreaterThan(cam.updatedAt);
    const stored = JSON.parse((await h.t.redis.get(h.t.keys.camera(cam.id)))!) as CameraConfig;
    expect(stored.name).toBe('Weir bridge (east)');
    expect(stored.sourceUrl).toBe(source);
  });

  it("stores a camera's tiling override for the worker and serves it; a patch replaces it", async () => {
    const cam = await createCamera({ tiling: { enabled: true, tileWidth: 960, tileHeight: 576 } });
    expect(cam.tiling).toEqual({ enabled: true, tileWidth: 960, tileHeight: 576 });
    expect((JSON.parse((await h.t.redis.get(h.t.keys.camera(cam.id)))!) as CameraConfig).tiling).toEqual(cam.tiling);
    const res = await h.app.inject({ method: 'PATCH', url: `/v1/cameras/${cam.id}`, headers: h.auth(), payload: { tiling: { enabled: false } } });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as CameraConfig).tiling).toEqual({ enabled: false });
    expect((await createCamera()).tiling).toBeUndefined();
  });

  it('deletes: 204, then 404, and the id leaves the index', async () => {
    const cam = await createCamera();
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/cameras/${cam.id}`, headers: h.auth() })).statusCode).toBe(204);
    expect((await h.app.inject({ url: `/v1/cameras/${cam.id}`, headers: h.auth() })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/cameras/${cam.id}`, headers: h.auth() })).statusCode).toBe(404);
    expect(await h.t.redis.sismember(h.t.keys.cameraIndex(), cam.id)).toBe(0);
  });

  it('serves ingest status from its hash, and "unknown" before ingest reports', async () => {
    const cam = await createCamera();
    const before = await h.app.inject({ url: `/v1/cameras/${cam.id}/status`, headers: h.auth() });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ cameraId: cam.id, state: 'unknown', lastFrameAt: null });

    await h.t.redis.hset(h.t.keys.cameraStatus(cam.id), {
      state: 'online', replica: 'ingest-1', fpsIn: '2.5', fpsOut: '2', framesIn: '100', framesOut: '90',
      drops: '10', reconnects: '1', corrupt: '0', lastFrameAt: '1700000000000', lastError: '', updatedAt: '1700000000500',
    });
    const after = await h.app.inject({ url: `/v1/cameras/${cam.id}/status`, headers: h.auth() });
    expect(after.json()).toMatchObject({ state: 'online', replica: 'ingest-1', fpsIn: 2.5, drops: 10, lastFrameAt: 1700000000000, lastError: null, updatedAt: 1700000000500 });
  });

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['no name', { sourceUrl: source }],
      ['empty name', { name: '', sourceUrl: source }],
      ['a source URL that is not a URL', { name: 'x', sourceUrl: 'not a url' }],
      ['a source URL with an unsupported scheme', { name: 'x', sourceUrl: 'gopher://cam/1' }],
      ['fps of zero', { name: 'x', sourceUrl: source, fps: 0 }],
      ['fps as a string', { name: 'x', sourceUrl: source, fps: 'fast' }],
      ['a zone polygon with two points', { name: 'x', sourceUrl: source, zones: { include: [[[0, 0], [1, 1]]], exclude: [] } }],
      ['minScore above 1', { name: 'x', sourceUrl: source, rules: { minScore: 1.5 } }],
      ['persistence n greater than m', { name: 'x', sourceUrl: source, rules: { persistence: { n: 5, m: 3 } } }],
      ['an unknown field', { name: 'x', sourceUrl: source, colour: 'blue' }],
      ['a model name with a path in it', { name: 'x', sourceUrl: source, detectorModel: '../../etc' }],
      ['a tiling overlap above 0.5', { name: 'x', sourceUrl: source, tiling: { overlap: 0.9 } }],
      ['a tile smaller than 32 px', { name: 'x', sourceUrl: source, tiling: { tileWidth: 8 } }],
      ['an unknown tiling field', { name: 'x', sourceUrl: source, tiling: { tiles: 4 } }],
    ];
    it.each(cases)('POST with %s is a 400 and stores nothing', async (_why, payload) => {
      const before = await h.t.redis.scard(h.t.keys.cameraIndex());
      const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().message).toBeTruthy();
      expect(await h.t.redis.scard(h.t.keys.cameraIndex())).toBe(before);
    });

    it('PATCH with an empty body is a 400; an unknown camera is a 404; an id with odd characters is a 400', async () => {
      const cam = await createCamera();
      expect((await h.app.inject({ method: 'PATCH', url: `/v1/cameras/${cam.id}`, headers: h.auth(), payload: {} })).statusCode).toBe(400);
      expect((await h.app.inject({ method: 'PATCH', url: '/v1/cameras/cam_nope', headers: h.auth(), payload: { fps: 1 } })).statusCode).toBe(404);
      expect((await h.app.inject({ url: '/v1/cameras/a%7Db', headers: h.auth() })).statusCode).toBe(400);
    });

    it('a JSON body that is not JSON is a 400', async () => {
      const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: { ...h.auth(), 'content-type': 'application/json' }, payload: '{"name":' });
      expect(res.statusCode).toBe(400);
    });
  });
});

describe('a camera water mask', () => {
  const png = (shade: number) => sharp({ create: { width: 8, height: 4, channels: 3, background: { r: shade, g: shade, b: shade } } }).greyscale().png().toBuffer();

  it('serves the current mask, and with ?at= the one in use then; 404 before any, 400 for a bad time', async () => {
    const cam = await createCamera();
    expect((await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png`, headers: h.auth() })).statusCode).toBe(404);
    // No worker has created the masks bucket yet: still a 404, not a 500.
    expect(await h.t.store.client.bucketExists(h.t.store.bucket('masks'))).toBe(false);
    expect((await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png?at=1700000000000`, headers: h.auth() })).statusCode).toBe(404);

    // What the worker writes: the current mask in Redis, each segmentation in S3 by capture time.
    const [old, newer, current] = await Promise.all([png(10), png(20), png(255)]);
    await h.t.store.ensureBuckets(['masks']);
    await h.t.store.put('masks', EvidenceKeys.mask(cam.id, 1700000000000), old, 'image/png');
    await h.t.store.put('masks', EvidenceKeys.mask(cam.id, 1700000600000), newer, 'image/png');
    await h.t.store.put('masks', EvidenceKeys.mask('cam_other', 1700000300000), current, 'image/png');
    await writeCachedWaterMask(h.t.redis, h.t.keys, cam.id, { png: current, at: 1700000900000, width: 8, height: 4, version: '3', uses: 1 });

    const now = await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png`, headers: h.auth() });
    expect(now.statusCode).toBe(200);
    expect(now.headers['content-type']).toBe('image/png');
    expect(now.headers['x-mask-captured-at']).toBe('1700000900000');
    expect(now.headers['x-mask-model-version']).toBe('3');
    expect(now.rawPayload.equals(current)).toBe(true);

    const then = await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png?at=${new Date(1700000300000).toISOString()}`, headers: h.auth() });
    expect(then.statusCode).toBe(200);
    expect(then.headers['x-mask-captured-at']).toBe('1700000000000');
    expect(then.rawPayload.equals(old)).toBe(true);
    const later = await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png?at=1700000600000`, headers: h.auth() });
    expect(later.rawPayload.equals(newer)).toBe(true);

    const before = await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png?at=1600000000000`, headers: h.auth() });
    expect(before.statusCode).toBe(404);
    expect(before.json().message).toContain('at or before 2020-09-13');
    const bad = await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png?at=yesterday`, headers: h.auth() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('at must be epoch milliseconds or an ISO-8601 time');
  });

  it('is hidden from a key limited to other cameras', async () => {
    const cam = await createCamera();
    await writeCachedWaterMask(h.t.redis, h.t.keys, cam.id, { png: await png(255), at: 1, width: 8, height: 4, version: '1', uses: 1 });
    const other = await h.createKey('viewer', ['cam_someone_else']);
    expect((await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png`, headers: h.auth(other) })).statusCode).toBe(404);
    const mine = await h.createKey('viewer', [cam.id]);
    expect((await h.app.inject({ url: `/v1/cameras/${cam.id}/mask.png`, headers: h.auth(mine) })).statusCode).toBe(200);
  });
});
