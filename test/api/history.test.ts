import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { seedSummary } from './support/seed.ts';

let h: ApiHarness;
let cameraId: string;
const t0 = Date.UTC(2026, 2, 1, 8, 0, 0);

beforeAll(async () => {
  h = await createApiHarness();
  const res = await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name: 'Mill race', sourceUrl: 'rtsp://cam/1' } });
  cameraId = res.json().id;
  await seedSummary(h.t, cameraId, { capturedAt: t0 + 5_000, counts: { bottle: 2 }, coverage: 0.02, trackIds: [1, 2] });
  await seedSummary(h.t, cameraId, { capturedAt: t0 + 35_000, counts: { bottle: 1, bag: 3 }, coverage: 0.06, trackIds: [2, 3] });
  await seedSummary(h.t, cameraId, { capturedAt: t0 + 65_000, counts: {}, coverage: 0, trackIds: [] });
  await seedSummary(h.t, cameraId, { capturedAt: t0 + 3_600_000, counts: { foam: 1 }, coverage: 0.2, trackIds: [9] });
});
afterAll(async () => {
  await h?.close();
});

const history = (query: string) => h.app.inject({ url: `/v1/cameras/${cameraId}/history?${query}`, headers: h.auth() });

describe('camera history', () => {
  it('aggregates per minute: max and mean counts per class, coverage, unique items, and the latest summary', async () => {
    const res = await history(`from=${t0}&to=${t0 + 120_000}&bucket=1m`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ cameraId, bucket: '1m', bucketMs: 60_000, truncated: false });
    expect(body.buckets).toEqual([
      { start: t0, frames: 2, maxCounts: { bottle: 2, bag: 3 }, meanCounts: { bottle: 1.5, bag: 1.5 }, coverage: { mean: 0.04, max: 0.06 }, uniqueItems: 3 },
      { start: t0 + 60_000, frames: 1, maxCounts: {}, meanCounts: {}, coverage: { mean: 0, max: 0 }, uniqueItems: 0 },
    ]);
    // "latest" is the newest summary of the camera, whatever the range.
    expect(body.latest).toMatchObject({ capturedAt: t0 + 3_600_000, counts: { foam: 1 } });
  });

  it('aggregates per hour and accepts ISO times', async () => {
    const res = await history(`from=${new Date(t0).toISOString()}&to=${new Date(t0 + 2 * 3_600_000).toISOString()}&bucket=1h`);
    const body = res.json();
    expect(body.buckets.map((b: { start: number; frames: number }) => [b.start, b.frames])).toEqual([
      [t0, 3],
      [t0 + 3_600_000, 1],
    ]);
  });

  it('a camera with no summaries gives no buckets and a null latest', async () => {
    const cam = (await h.app.inject({ method: 'POST', url: '/v1/cameras', headers: h.auth(), payload: { name: 'Quiet', sourceUrl: 'rtsp://cam/2' } })).json();
    const res = await h.app.inject({ url: `/v1/cameras/${cam.id}/history?bucket=1d`, headers: h.auth() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ buckets: [], latest: null });
  });

  it.each([
    ['an unknown bucket', 'bucket=5m', 400],
    ['a from that is not a time', 'from=last-week', 400],
    ['from after to', `from=${t0 + 10}&to=${t0}`, 400],
    ['a range of more than 10 000 buckets', `from=0&to=${t0}&bucket=1m`, 400],
  ])('%s is a %i', async (_why, query, status) => {
    const res = await history(query);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().message).toBeTruthy();
  });

  it('an unknown camera is a 404', async () => {
    expect((await h.app.inject({ url: '/v1/cameras/cam_nope/history', headers: h.auth() })).statusCode).toBe(404);
  });
});
