import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerQueued, readFrameEvents, type FrameSummary } from '@riverwatch/common';
import { CameraStore, type CameraMemory } from '../../services/worker/src/repositories/camera-store.ts';
import { createTestContext, type TestContext } from '../support/context.ts';

/**
 * The frame commit script (CameraStore.commitFrame) on a real Redis: it writes nothing unless
 * the caller still holds the camera's lock or when the history write fails (so the job's retry
 * commits the frame), and sets the live frame's TTL only when asked. isCommitted finds a frame
 * by its history entry, wherever a late frame was filed.
 */
describe('CameraStore.commitFrame (real Redis)', () => {
  let t: TestContext;
  let cameras: CameraStore;
  const summary = (frameId: string, capturedAt: number): FrameSummary => ({ frameId, capturedAt, processedAt: capturedAt, counts: {}, coverage: 0, trackIds: [], newTracks: 0, models: {}, latencyMs: 1 });
  const live = (frameId: string, capturedAt: number) => ({ frameId, capturedAt, width: 2, height: 2, detections: [], jpeg: Buffer.from([0xff, 0xd8]) });
  const queued = (cameraId: string, frameId: string) => ledgerQueued(t.redis.pipeline(), t.keys, cameraId, frameId, 3600_000).exec();
  const events = async (cameraId: string, frameId: string) => (await readFrameEvents(t.redis, t.keys, cameraId)).filter((e) => e.frameId === frameId).map((e) => e.event);

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
    expect(await t.redis.exists(t.keys.frameSummaries('cam-lost'), t.keys.liveFrame('cam-lost'), t.keys.tracker('cam-lost'))).toBe(0);
    expect(await events('cam-lost', 'frm_1')).toEqual(['queued']);
    expect(await t.redis.get(t.keys.cameraLock('cam-lost'))).toBe('another-worker');
  });

  it('writes nothing when the history write fails, so a retry commits the frame once', async () => {
    await queued('cam-xadd', 'frm_a');
    expect(await cameras.commitFrame('cam-xadd', await cameras.lock('cam-xadd'), summary('frm_a', 5000), 0)).toBe('committed');
    // Filed below the stream's newest id (a newest capture time the caller got wrong): XADD refuses it.
    await queued('cam-xadd', 'frm_b');
    const memory = { lastSeq: 2, lastCapturedAt: 4000 } as CameraMemory;
    await expect(cameras.commitFrame('cam-xadd', await cameras.lock('cam-xadd'), summary('frm_b', 4000), 0, { memory, live: live('frm_b', 4000) })).rejects.toThrow(/equal or smaller than the target stream top item/);
    expect(await t.redis.exists(t.keys.tracker('cam-xadd'), t.keys.liveFrame('cam-xadd'))).toBe(0);
    expect(await events('cam-xadd', 'frm_b')).toEqual(['queued']);
    expect(await cameras.isCommitted('cam-xadd', 'frm_b', 4000)).toBe(false);
    await cameras.unlock('cam-xadd', (await t.redis.get(t.keys.cameraLock('cam-xadd')))!);
    // The retry, with the right newest capture time, commits it once: filed at 5000, found from 4000 on.
    expect(await cameras.commitFrame('cam-xadd', await cameras.lock('cam-xadd'), summary('frm_b', 4000), 5000)).toBe('committed');
    expect(await t.redis.xlen(t.keys.frameSummaries('cam-xadd'))).toBe(2);
    expect((await events('cam-xadd', 'frm_b')).sort()).toEqual(['committed', 'queued']);
    expect(await cameras.isCommitted('cam-xadd', 'frm_b', 4000)).toBe(true);
    expect(await cameras.isCommitted('cam-xadd', 'frm_a', 5000)).toBe(true);
    // Not found after its own capture time's entries: a frame is never filed before it was captured.
    expect(await cameras.isCommitted('cam-xadd', 'frm_a', 5001)).toBe(false);
  });

  it('finds a committed frame however many frames were filed after it (the history is read page by page)', async () => {
    const lockAndCommit = async (frameId: string, at: number) => cameras.commitFrame('cam-pages', await cameras.lock('cam-pages'), summary(frameId, at), 0);
    for (let i = 1; i <= 450; i++) await lockAndCommit(`frm_${i}`, i * 10);
    expect(await cameras.isCommitted('cam-pages', 'frm_3', 30)).toBe(true);
    expect(await cameras.isCommitted('cam-pages', 'frm_nope', 30)).toBe(false);
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
