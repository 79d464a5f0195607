import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLiveFrame } from '@riverwatch/common';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.close();
});

async function addCamera(name: string): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name, sourceUrl: 'rtsp://cam.example/river' } });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

describe('GET /v1/session', () => {
  it("says who the key is: the dashboard's role-aware controls follow it", async () => {
    expect((await h.app.inject({ url: '/v1/session', headers: h.auth() })).json()).toEqual({ name: 'bootstrap admin', role: 'admin', cameras: [] });
    const viewer = await h.createKey('viewer', ['cam_a']);
    expect((await h.app.inject({ url: '/v1/session', headers: h.auth(viewer) })).json()).toEqual({ name: 'viewer key', role: 'viewer', cameras: ['cam_a'] });
    expect((await h.app.inject({ url: '/v1/session' })).statusCode).toBe(401);
  });
});

describe('GET /v1/cameras/:id/frame and frame.jpg', () => {
  it('404 before the worker has committed a frame, then the newest frame with its detections and the JPEG', async () => {
    const id = await addCamera('Weir');
    const none = await h.app.inject({ url: `/v1/cameras/${id}/frame`, headers: h.auth() });
    expect(none.statusCode).toBe(404);
    expect(none.json().message).toContain('none processed');
    expect((await h.app.inject({ url: `/v1/cameras/${id}/frame.jpg`, headers: h.auth() })).statusCode).toBe(404);

    const jpeg = await sharp({ create: { width: 64, height: 36, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    const detections = [{ classId: 0, className: 'bottle', score: 0.9, box: [1, 2, 30, 20] as [number, number, number, number], onWater: 1, trackId: 7 }];
    await writeLiveFrame(h.t.redis, h.t.keys, id, { frameId: 'frm_live', capturedAt: 1_700_000_000_000, width: 64, height: 36, detections, jpeg });

    const frame = await h.app.inject({ url: `/v1/cameras/${id}/frame`, headers: h.auth() });
    expect(frame.statusCode).toBe(200);
    expect(frame.json()).toEqual({ cameraId: id, frameId: 'frm_live', capturedAt: 1_700_000_000_000, width: 64, height: 36, detections, imageUrl: `/v1/cameras/${id}/frame.jpg` });
    const image = await h.app.inject({ url: `/v1/cameras/${id}/frame.jpg`, headers: h.auth() });
    expect(image.headers['content-type']).toBe('image/jpeg');
    expect(image.headers['x-frame-id']).toBe('frm_live');
    expect(image.rawPayload.equals(jpeg)).toBe(true);
  });

  it("is the camera's like everything else: a key limited to other cameras gets 404, as for an unknown camera", async () => {
    const id = await addCamera('Lock gate');
    const other = await h.createKey('viewer', ['cam_other']);
    expect((await h.app.inject({ url: `/v1/cameras/${id}/frame`, headers: h.auth(other) })).statusCode).toBe(404);
    expect((await h.app.inject({ url: '/v1/cameras/cam_missing/frame.jpg', headers: h.auth() })).statusCode).toBe(404);
  });
});
