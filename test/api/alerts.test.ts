import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '@riverwatch/common';
import { createApiHarness, type ApiHarness } from './support/api-harness.ts';
import { seedAlert } from './support/seed.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await createApiHarness();
});
afterAll(async () => {
  await h?.close();
});

const list = async (query: string) => {
  const res = await h.app.inject({ url: `/v1/alerts?${query}`, headers: h.auth() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: AlertRecord[]; nextCursor: string | null };
};

describe('alert listing', () => {
  let seeded: AlertRecord[];
  beforeAll(async () => {
    seeded = [];
    const base = 1_750_000_000_000;
    for (let i = 0; i < 7; i++) {
      seeded.push(
        await seedAlert(h.t, {
          cameraId: i % 2 ? 'cam_list_b' : 'cam_list_a',
          type: i % 3 === 0 ? 'accumulation' : 'debris',
          status: i === 6 ? 'resolved' : 'open',
          // Two alerts share an openedAt, so pagination must order by id within a score.
          openedAt: base + (i === 4 ? 3 : i) * 60_000,
        }),
      );
    }
  });

  it('filters by camera, type, status and time range, newest first', async () => {
    const a = await list('camera=cam_list_a');
    expect(a.items.every((x) => x.cameraId === 'cam_list_a')).toBe(true);
    expect(a.items.length).toBe(4);
    const openedAts = a.items.map((x) => x.openedAt);
    expect(openedAts).toEqual([...openedAts].sort((x, y) => y - x));

    expect((await list('type=accumulation')).items.every((x) => x.type === 'accumulation')).toBe(true);
    expect((await list('status=resolved')).items.map((x) => x.id)).toEqual([seeded[6]!.id]);
    expect((await list('status=open&status=resolved&camera=cam_list_b')).items.length).toBe(3);

    const from = seeded[2]!.openedAt;
    const to = seeded[5]!.openedAt;
    const ranged = await list(`from=${from}&to=${new Date(to).toISOString()}`);
    expect(ranged.items.every((x) => x.openedAt >= from && x.openedAt <= to)).toBe(true);
    expect(ranged.items.length).toBe(4);
  });

  it('pages with a cursor without gaps or repeats, even across equal openedAt', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`limit=2&from=1750000000000${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(7);
    expect(seen.sort()).toEqual(seeded.map((x) => x.id).sort());
  });

  it.each([
    ['an unknown type', 'type=flood', 400],
    ['an unknown status', 'status=closed', 400],
    ['a limit above 200', 'limit=500', 400],
    ['a limit of zero', 'limit=0', 400],
    ['a cursor this API did not make', 'cursor=bm9wZQ', 400],
    ['a from that is not a time', 'from=yesterday', 400],
    ['an unknown parameter', 'colour=red', 400],
  ])('%s is a %i', async (_why, query, status) => {
    const res = await h.app.inject({ url: `/v1/alerts?${query}`, headers: h.auth() });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.json().message).toBeTruthy();
  });
});

describe('alert actions', () => {
  it('ack, then resolve: records who, frees the open pointer, publishes events', async () => {
    const alert = await seedAlert(h.t, { cameraId: 'cam_act' });
    const ack = await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/ack`, headers: h.auth(), payload: { note: 'crew on the way' } });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'bootstrap admin', note: 'crew on the way' });
    expect(await h.t.redis.get(h.t.keys.openAlert('cam_act', 'debris'))).toBe(alert.id);

    // Idempotent: acknowledging again changes nothing and is not an error.
    expect((await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/ack`, headers: h.auth() })).statusCode).toBe(200);

    const resolved = await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/resolve`, headers: h.auth() });
    expect(resolved.json()).toMatchObject({ status: 'resolved' });
    expect(resolved.json().resolvedAt).toBeGreaterThan(0);
    expect(await h.t.redis.get(h.t.keys.openAlert('cam_act', 'debris'))).toBeNull();

    const stored = JSON.parse((await h.t.redis.get(h.t.keys.alert(alert.id)))!) as AlertRecord;
    expect(stored.status).toBe('resolved');
    const events = (await h.t.redis.xrange(h.t.keys.events(), '-', '+')).map(([, f]) => JSON.parse(f[1]!));
    expect(events.filter((e) => e.data?.alert?.id === alert.id).map((e) => e.type)).toEqual(['alert.acknowledged', 'alert.resolved']);

    // A resolved alert cannot be acknowledged any more.
    expect((await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/ack`, headers: h.auth() })).statusCode).toBe(409);
  });

  it('resolving leaves the open pointer alone when it already points at a newer alert', async () => {
    const old = await seedAlert(h.t, { cameraId: 'cam_ptr' });
    const newer = await seedAlert(h.t, { cameraId: 'cam_ptr' });
    await h.app.inject({ method: 'POST', url: `/v1/alerts/${old.id}/resolve`, headers: h.auth() });
    expect(await h.t.redis.get(h.t.keys.openAlert('cam_ptr', 'debris'))).toBe(newer.id);
  });

  it('reject feeds the labelling loop (once) and frees the open pointer', async () => {
    const alert = await seedAlert(h.t, { cameraId: 'cam_rej' });
    const res = await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/reject`, headers: h.auth(), payload: { note: 'a swan' } });
    expect(res.json()).toMatchObject({ status: 'rejected', note: 'a swan' });
    await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/reject`, headers: h.auth() });
    expect(await h.t.redis.lrange(h.t.keys.reviewRejected(), 0, -1)).toEqual([alert.id]);
    expect(await h.t.redis.get(h.t.keys.openAlert('cam_rej', 'debris'))).toBeNull();
    expect((await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/resolve`, headers: h.auth() })).statusCode).toBe(409);
  });

  it('an action is recomputed when the worker rewrites the alert between our read and our write (no lost update)', async () => {
    const alert = await seedAlert(h.t, { cameraId: 'cam_race' });
    let calls = 0;
    const result = await h.deps.alerts.update(alert.id, (current) => {
      calls++;
      if (calls === 1) {
        // The worker records one more frame. Sent on the repository's own connection, so it lands before our compare-and-set.
        void h.deps.redis.set(h.t.keys.alert(alert.id), JSON.stringify({ ...current, frames: current.frames + 1 }));
      }
      return { ...current, status: 'acknowledged', acknowledgedBy: 'op' };
    });
    expect(calls).toBe(2);
    expect(result!.after).toMatchObject({ status: 'acknowledged', frames: alert.frames + 1 });
    const stored = JSON.parse((await h.t.redis.get(h.t.keys.alert(alert.id)))!) as AlertRecord;
    expect(stored).toMatchObject({ status: 'acknowledged', frames: alert.frames + 1, acknowledgedBy: 'op' });
  });

  it('an action on an unknown alert is a 404; a note over 1000 characters is a 400', async () => {
    expect((await h.app.inject({ method: 'POST', url: '/v1/alerts/alr_nope/ack', headers: h.auth() })).statusCode).toBe(404);
    const alert = await seedAlert(h.t, { cameraId: 'cam_note' });
    const res = await h.app.inject({ method: 'POST', url: `/v1/alerts/${alert.id}/ack`, headers: h.auth(), payload: { note: 'x'.repeat(1001) } });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse((await h.t.redis.get(h.t.keys.alert(alert.id)))!).status).toBe('open');
  });
});

describe('alert snapshots', () => {
  it('streams the snapshot from S3, or redirects to a presigned URL that serves the same bytes', async () => {
    await h.t.store.ensureBuckets(['snapshots']);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('snapshot bytes')]);
    await h.t.store.put('snapshots', 'cam_snap/alr_x.jpg', jpeg, 'image/jpeg');
    const alert = await seedAlert(h.t, { cameraId: 'cam_snap', snapshotKey: 'cam_snap/alr_x.jpg' });

    const streamed = await h.app.inject({ url: `/v1/alerts/${alert.id}/snapshot`, headers: h.auth() });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.headers['content-type']).toBe('image/jpeg');
    expect(streamed.rawPayload.equals(jpeg)).toBe(true);

    const redirect = await h.app.inject({ url: `/v1/alerts/${alert.id}/snapshot?redirect=presigned`, headers: h.auth() });
    expect(redirect.statusCode).toBe(302);
    const fetched = await fetch(redirect.headers.location as string);
    expect(fetched.status).toBe(200);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it('an alert without a snapshot yet, or whose object is gone, is a 404', async () => {
    const none = await seedAlert(h.t, { cameraId: 'cam_snap2' });
    expect((await h.app.inject({ url: `/v1/alerts/${none.id}/snapshot`, headers: h.auth() })).statusCode).toBe(404);
    await h.t.store.ensureBuckets(['snapshots']);
    const gone = await seedAlert(h.t, { cameraId: 'cam_snap2', snapshotKey: 'cam_snap2/missing.jpg' });
    expect((await h.app.inject({ url: `/v1/alerts/${gone.id}/snapshot`, headers: h.auth() })).statusCode).toBe(404);
    expect((await h.app.inject({ url: `/v1/alerts/${none.id}/snapshot?redirect=elsewhere`, headers: h.auth() })).statusCode).toBe(400);
  });
});
