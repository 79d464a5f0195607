import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerQueued, readLedger, type FrameSummary } from '@riverwatch/common';
import { CameraStore } from '../../services/worker/src/repositories/camera-store.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

/**
 * The frame commit script (CameraStore.commitFrame) on a real Redis: it writes nothing unless
 * the caller still holds the camera's lock, gives the claim back when the history write fails
 * (so the job's retry commits the frame), and sets the live frame's TTL only when asked.
 */
describe('CameraStore.commitFrame (real Redis)', () => {
  let t: TestContext;
  let cameras: CameraStore;
  const summary = (frameId: string, capturedAt: number): FrameSummary => ({ frameId, capturedAt, processedAt: capturedAt, counts: {}, coverage: 0, trackIds: [], newTracks: 0, models: {}, latencyMs: 1 });
  const live = (frameId: string, capturedAt: number) => ({ frameId, capturedAt, width: 2, height: 2, detections: [], jpeg: Buffer.from([0xff, 0xd8]) });
  const queued = (cameraId: string, frameId: string) => ledgerQueued(t.redis.pipeline(), t.keys, cameraId, frameId, 3600_000).exec();

  beforeAll(async () => {
    t = await createTestContext();
    cameras = new CameraStore(t.redis, t.keys, 3600_000);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('writes nothing when the lock is no longer the caller\'s, and leaves the other holder\'s lock alone', async () => {
    await queued('cam-lost', 'frm_1');
    const mine = await cameras.lock('cam-lost');
    await t.redis.set(t.keys.cameraLock('cam-lost'), 'another-worker'); // ours lapsed; another worker took it
    expect(await cameras.commitFrame('cam-lost', mine, summary('frm_1', 1000), 0, { live: live('frm_1', 1000) })).toBe('lock_lost');
    expect(await t.redis.exists(t.keys.frameDone('cam-lost', 'frm_1'), t.keys.frameSummaries('cam-lost'), t.keys.liveFrame('cam-lost'), t.keys.cameraState('cam-lost'))).toBe(0);
    expect((await readLedger(t.redis, t.keys, 'cam-lost')).map((e) => e.event)).toEqual(['queued']);
    expect(await t.redis.get(t.keys.cameraLock('cam-lost'))).toBe('another-worker');
  });

  it('gives the claim back when the history write fails, so a retry commits the frame', async () => {
    await queued('cam-xadd', 'frm_a');
    expect(await cameras.commitFrame('cam-xadd', await cameras.lock('cam-xadd'), summary('frm_a', 5000), 0)).toBe('committed');
    // Filed below the stream's newest id (a latest capture time the caller got wrong): XADD refuses it.
    await queued('cam-xadd', 'frm_b');
    await expect(cameras.commitFrame('cam-xadd', await cameras.lock('cam-xadd'), summary('frm_b', 4000), 0)).rejects.toThrow(/equal or smaller than the target stream top item/);
    expect(await t.redis.exists(t.keys.frameDone('cam-xadd', 'frm_b'))).toBe(0);
    expect((await readLedger(t.redis, t.keys, 'cam-xadd')).filter((e) => e.frameId === 'frm_b').map((e) => e.event)).toEqual(['queued']);
    await cameras.unlock('cam-xadd', (await t.redis.get(t.keys.cameraLock('cam-xadd')))!);
    // The retry, with the right latest capture time, commits it once.
    expect(await cameras.commitFrame('cam-xadd', await cameras.lock('cam-xadd'), summary('frm_b', 4000), 5000)).toBe('committed');
    expect(await t.redis.xlen(t.keys.frameSummaries('cam-xadd'))).toBe(2);
  });

  it('sets the live frame\'s TTL only when asked (refreshed every few minutes, not every frame)', async () => {
    await queued('cam-ttl', 'frm_1');
    await cameras.commitFrame('cam-ttl', await cameras.lock('cam-ttl'), summary('frm_1', 1000), 0, { live: live('frm_1', 1000), liveTtlSeconds: 3600 });
    expect(await t.redis.ttl(t.keys.liveFrame('cam-ttl'))).toBeGreaterThan(3500);
    await t.redis.expire(t.keys.liveFrame('cam-ttl'), 100);
    await queued('cam-ttl', 'frm_2');
    await cameras.commitFrame('cam-ttl', await cameras.lock('cam-ttl'), summary('frm_2', 2000), 1000, { live: live('frm_2', 2000) });
    expect(await t.redis.ttl(t.keys.liveFrame('cam-ttl'))).toBeLessThanOrEqual(100);
    expect(JSON.parse((await t.redis.hget(t.keys.liveFrame('cam-ttl'), 'json'))!)).toMatchObject({ frameId: 'frm_2' });
  });
});
