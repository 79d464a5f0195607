import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CameraLeases } from '../../services/ingest/src/camera-leases.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

describe('CameraLeases (real Redis)', () => {
  let t: TestContext;
  let a: CameraLeases;
  let b: CameraLeases;

  beforeAll(async () => {
    t = await createTestContext();
    a = new CameraLeases(t.redis, t.keys, 'rep-a', 1000);
    b = new CameraLeases(t.redis, t.keys, 'rep-b', 1000);
  });
  afterAll(async () => t?.cleanup());

  it('gives a camera to exactly one replica', async () => {
    const [ga, gb] = await Promise.all([a.acquire('cam_1'), b.acquire('cam_1')]);
    expect([ga, gb].filter(Boolean)).toHaveLength(1);
    expect(await a.unleased(['cam_1', 'cam_2'])).toEqual(['cam_2']);
  });

  it('renews and releases only a lease the replica holds', async () => {
    await t.redis.del(t.keys.cameraLease('cam_3'));
    expect(await a.acquire('cam_3')).toBe(true);
    // b must not extend or delete a's lease.
    expect((await b.renew(['cam_3'])).get('cam_3')).toBe(false);
    await b.release('cam_3');
    expect(await t.redis.get(t.keys.cameraLease('cam_3'))).toBe('rep-a');
    expect((await a.renew(['cam_3'])).get('cam_3')).toBe(true);
    expect(await t.redis.pttl(t.keys.cameraLease('cam_3'))).toBeGreaterThan(500);
    await a.release('cam_3');
    expect(await t.redis.exists(t.keys.cameraLease('cam_3'))).toBe(0);
  });

  it('a lease not renewed expires and can be taken by another replica', async () => {
    const quick = new CameraLeases(t.redis, t.keys, 'rep-quick', 500);
    expect(await quick.acquire('cam_4')).toBe(true);
    expect(await b.acquire('cam_4')).toBe(false);
    await new Promise((r) => setTimeout(r, 600));
    expect(await b.acquire('cam_4')).toBe(true);
    expect((await quick.renew(['cam_4'])).get('cam_4')).toBe(false);
  });

  it('counts live replicas and forgets one whose heartbeat is older than a lease period', async () => {
    const now = Date.now();
    await a.heartbeat(now - 5000); // a stopped heartbeating long ago
    expect(await b.heartbeat(now)).toBe(1);
    expect(await a.heartbeat(now)).toBe(2);
    await a.leave();
    expect(await t.redis.zrange(t.keys.ingestReplicas(), 0, -1)).toEqual(['rep-b']);
  });
});
