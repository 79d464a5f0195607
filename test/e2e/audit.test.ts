import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAudit, type AuditReport } from '@riverwatch/cli';
import { QueueName, recordOutcome, type AlertRecord, type FrameJob, type FrameSummary } from '@riverwatch/common';
import { FramePublisher } from '../../services/ingest/src/frame-publisher.ts';
import { CameraStore } from '../../services/worker/src/repositories/camera-store.ts';
import { AlertStore } from '../../services/worker/src/repositories/alert-store.ts';
import { createTestContext, type TestContext } from '../support/context.ts';
import { runCli } from '../support/cli.ts';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);

/**
 * `riverwatch audit` against real Redis and S3. The ledger is written by the code that writes
 * it in production (ingest's FramePublisher, the worker's CameraStore and outcome writes); the
 * faults are then made by hand, one of each kind, and the audit must name each.
 */
describe('riverwatch audit (real Redis + S3)', () => {
  let t: TestContext;
  let queue: Queue<FrameJob>;
  let publisher: FramePublisher;
  let cameras: CameraStore;
  let seq = 0;
  const frame = (cameraId: string) => ({ cameraId, capturedAt: Date.now(), seq: ++seq, width: 2, height: 2 });
  const summary = (frameId: string): FrameSummary => ({ frameId, capturedAt: Date.now(), processedAt: Date.now(), counts: {}, coverage: 0, trackIds: [], newTracks: 0, models: {}, latencyMs: 1 });
  const cli = async (args: string[]) => {
    const run = runCli(['audit', ...args], t.env);
    const { code } = await run.exited;
    return { code, report: JSON.parse(run.output()) as AuditReport };
  };

  /** A worker's commit of the frame: the camera's lock, then the commit script (which releases it). */
  const commit = async (cameraId: string, frameId: string) => cameras.commitFrame(cameraId, await cameras.lock(cameraId), summary(frameId), 0);

  beforeAll(async () => {
    t = await createTestContext();
    await t.store.ensureBuckets();
    queue = new Queue<FrameJob>(QueueName.frames, { connection: t.redis, prefix: t.keys.queuePrefix });
    publisher = new FramePublisher(t.redis, t.keys, queue, { maxInFlight: 2, frameTtlSeconds: 30 });
    cameras = new CameraStore(t.redis, t.keys, 3600_000);
  });
  afterAll(async () => {
    await queue?.close();
    await t?.cleanup();
  });

  it('accounts for every frame: committed, dropped with its reason, failed with its reason, in flight', async () => {
    // Three frames with room for two: the oldest waiting one is replaced (dropped by ingest).
    const [a, b, c] = [await publisher.publish(frame('cam_a'), jpeg), await publisher.publish(frame('cam_a'), jpeg), await publisher.publish(frame('cam_a'), jpeg)];
    expect(c.dropped).toBe(1);
    // The worker commits b, fails a corrupt d; c stays queued.
    expect(await commit('cam_a', b.frameId!)).toBe('committed');
    await queue.remove(b.frameId!);
    const d = await publisher.publish(frame('cam_b'), jpeg);
    await recordOutcome(t.redis, t.keys, 'cam_b', d.frameId!, 'failed', 'corrupt');

    const { code, report } = await cli(['--json']);
    expect(report.frames).toMatchObject({ queued: 4, committed: 1, dropped: 1, failed: 1, inFlight: 1, lost: 0, inTwoStates: 0 });
    expect(report.dropReasons).toEqual({ replaced_by_newer: 1 });
    expect(report.failReasons).toEqual({ corrupt: 1 });
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(a.frameId).not.toBe(c.frameId);

    // One camera's report only.
    expect((await runAudit({ redis: t.redis, keys: t.keys, store: t.store, cameraId: 'cam_b' })).frames).toMatchObject({ queued: 1, failed: 1 });
  });

  it('names a lost frame, a duplicated commit, a duplicated alert and a missing snapshot, and exits 1', async () => {
    // Lost: queued, then its job vanishes with no outcome.
    const lost = await publisher.publish(frame('cam_c'), jpeg);
    await queue.remove(lost.frameId!);
    // Duplicated: the same frame committed twice (without asking isCommitted first, as a bug would).
    const twice = await publisher.publish(frame('cam_c'), jpeg);
    expect(await commit('cam_c', twice.frameId!)).toBe('committed');
    expect(await commit('cam_c', twice.frameId!)).toBe('committed');
    await queue.remove(twice.frameId!);
    // Alerts: two debris alerts open at once, one pointing at a snapshot that is not in S3.
    const alerts = new AlertStore(t.redis, t.keys);
    const alert = (id: string, openedAt: number, snapshotKey: string | null): AlertRecord => ({
      id, cameraId: 'cam_c', type: 'debris', status: 'open', openedAt, updatedAt: openedAt, lastSeenAt: openedAt, resolvedAt: null, frames: 1,
      lastFrameId: null, classes: {}, maxCoverage: 0, trackIds: [], snapshotKey, frameKey: null, acknowledgedBy: null, note: null,
    });
    await t.store.put('snapshots', 'cam_c/alr_1/frm.jpg', jpeg, 'image/jpeg');
    for (const a of [alert('alr_1', Date.now(), 'cam_c/alr_1/frm.jpg'), alert('alr_2', Date.now() + 1, 'cam_c/alr_2/missing.jpg')]) {
      await alerts.save(a);
      await t.redis.zadd(t.keys.alertIndex(), a.openedAt, a.id);
    }

    const { code, report } = await cli(['--json', '--camera', 'cam_c', '--since', '1h']);
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.frames).toMatchObject({ queued: 2, committed: 1, lost: 1 });
    expect(report.duplicates).toEqual({ commits: 1, alerts: 1 });
    expect(report.alerts).toEqual({ checked: 2, missingEvidence: 1 });
    expect(report.problems.map((p) => p.kind).sort()).toEqual(['duplicate_alert', 'duplicate_commit', 'lost', 'missing_evidence']);
    expect(report.problems.find((p) => p.kind === 'lost')?.frameId).toBe(lost.frameId);
  });

  it('keeps the ledger bounded: it expires with the retention window, and an outcome never creates one', async () => {
    const shortLived = new FramePublisher(t.redis, t.keys, queue, { maxInFlight: 2, frameTtlSeconds: 30, ledgerRetentionMs: 60_000 });
    await shortLived.publish(frame('cam_ttl'), jpeg);
    const ttl = await t.redis.pttl(t.keys.frameLedger('cam_ttl'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // A worker's outcome for a camera whose ledger is gone (deleted and expired, or a frame ingest never queued).
    await recordOutcome(t.redis, t.keys, 'cam_none', 'frm_x', 'dropped', 'camera_deleted');
    expect(await t.redis.exists(t.keys.frameLedger('cam_none'))).toBe(0);
  });

  it('refuses a bad --since with a clear message', async () => {
    const run = runCli(['audit', '--since', 'yesterday-ish'], t.env);
    expect((await run.exited).code).toBe(2);
    expect(run.output()).toMatch(/--since must be an ISO date\/time/);
  });
});
