import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { createLogger, type AlertRecord, type AlertStatus } from '@riverwatch/common';
import { RetentionSweeper, type RetentionPolicy } from '@riverwatch/worker';
import { createTestContext, type TestContext } from '../support/context.ts';
import { metricValue, scrape } from '../inference/support.ts';
import { repoRoot } from '../support/cli.ts';
import { workerMetricsPort } from '../support/stack.ts';

/**
 * Retention against a real Redis and the embedded S3 server. What must hold: alerts that
 * ended before the cutoff lose their record, index entry and every S3 object under their
 * folder; alerts still open or acknowledged (however old), or ended after the cutoff, keep
 * all of theirs; old water masks go but each camera keeps its newest; one replica sweeps per
 * period; 0 keeps everything; the running worker sweeps on its own.
 */
const DAY = 24 * 3600_000;
const NOW = Date.UTC(2026, 10, 27);
const logger = createLogger('silent');

function alert(id: string, cameraId: string, status: AlertStatus, openedDaysAgo: number, endedDaysAgo: number | null): AlertRecord {
  const openedAt = NOW - openedDaysAgo * DAY;
  const endedAt = endedDaysAgo === null ? null : NOW - endedDaysAgo * DAY;
  return {
    id,
    cameraId,
    type: 'debris',
    status,
    openedAt,
    updatedAt: endedAt ?? openedAt,
    lastSeenAt: endedAt ?? openedAt,
    // A rejected alert may never have been resolved: its end is its last update.
    resolvedAt: status === 'rejected' ? null : endedAt,
    frames: 3,
    lastFrameId: null,
    classes: { bottle: 1 },
    maxCoverage: 0,
    trackIds: [1],
    snapshotKey: `${cameraId}/${id}/f1.jpg`,
    frameKey: `${cameraId}/${id}/f1-raw.jpg`,
    acknowledgedBy: null,
    note: null,
  };
}

describe('retention sweep', () => {
  let ctx: TestContext;
  const policy: RetentionPolicy = { alertRetentionMs: 30 * DAY, maskRetentionMs: 30 * DAY, intervalMs: 60_000 };
  const sweeper = (p: Partial<RetentionPolicy> = {}) => new RetentionSweeper(ctx.redis, ctx.keys, ctx.store, { ...policy, ...p }, logger, () => NOW);

  async function saveAlert(a: AlertRecord, objects = [a.snapshotKey!, a.frameKey!]): Promise<void> {
    await ctx.redis.set(ctx.keys.alert(a.id), JSON.stringify(a));
    await ctx.redis.zadd(ctx.keys.alertIndex(), a.openedAt, a.id);
    for (const key of objects) await ctx.store.put('snapshots', key, Buffer.from('jpeg'), 'image/jpeg');
  }
  const indexed = async () => (await ctx.redis.zrange(ctx.keys.alertIndex(), 0, -1)).sort();
  const hasRecord = async (id: string) => (await ctx.redis.exists(ctx.keys.alert(id))) === 1;
  const snapshots = async () => (await ctx.store.list('snapshots')).sort();
  const masks = async () => (await ctx.store.list('masks')).sort();

  beforeAll(async () => {
    ctx = await createTestContext();
    await ctx.store.ensureBuckets();
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  it('deletes alerts that ended before the cutoff, with their evidence, and nothing else', async () => {
    const oldResolved = alert('a-old-resolved', 'cam-1', 'resolved', 100, 99);
    const oldRejected = alert('a-old-rejected', 'cam-1', 'rejected', 80, 79);
    const stillOpen = alert('a-still-open', 'cam-1', 'open', 200, null);
    const acknowledged = alert('a-acknowledged', 'cam-2', 'acknowledged', 120, null);
    const endedRecently = alert('a-ended-recently', 'cam-2', 'resolved', 100, 10);
    const young = alert('a-young', 'cam-2', 'resolved', 5, 4);
    // The old alert's snapshot was replaced once: both generations are in its folder.
    await saveAlert(oldResolved, [oldResolved.snapshotKey!, oldResolved.frameKey!, 'cam-1/a-old-resolved/f0.jpg', 'cam-1/a-old-resolved/f0-raw.jpg']);
    for (const a of [oldRejected, stillOpen, acknowledged, endedRecently, young]) await saveAlert(a);
    // An index entry whose record is gone (a sweep cut short between its two deletes).
    await ctx.redis.zadd(ctx.keys.alertIndex(), NOW - 90 * DAY, 'a-dangling');

    const counts = await sweeper().sweep();

    expect(counts).toEqual({ alerts: 2, snapshotObjects: 6, masks: 0, danglingIndexEntries: 1 });
    expect(await indexed()).toEqual(['a-acknowledged', 'a-ended-recently', 'a-still-open', 'a-young']);
    for (const a of [oldResolved, oldRejected]) expect(await hasRecord(a.id)).toBe(false);
    for (const a of [stillOpen, acknowledged, endedRecently, young]) expect(await hasRecord(a.id)).toBe(true);
    expect(await snapshots()).toEqual(
      [stillOpen, acknowledged, endedRecently, young].flatMap((a) => [a.snapshotKey!, a.frameKey!]).sort(),
    );
    // A second sweep finds nothing more.
    expect(await sweeper().sweep()).toEqual({ alerts: 0, snapshotObjects: 0, masks: 0, danglingIndexEntries: 0 });
  });

  it('walks past more kept alerts than one batch to reach the ones that go', async () => {
    // 150 old alerts still open, opened before (lower score than) 5 old resolved ones.
    for (let i = 0; i < 150; i++) await saveAlert(alert(`b-open-${String(i).padStart(3, '0')}`, 'cam-3', 'open', 300 - i * 0.1, null), []);
    const gone = Array.from({ length: 5 }, (_, i) => alert(`b-gone-${i}`, 'cam-3', 'resolved', 200 - i, 199 - i));
    for (const a of gone) await saveAlert(a);

    const counts = await sweeper().sweep();

    expect(counts.alerts).toBe(5);
    for (const a of gone) expect(await hasRecord(a.id)).toBe(false);
    expect((await indexed()).filter((id) => id.startsWith('b-open-'))).toHaveLength(150);
    expect((await snapshots()).filter((k) => k.startsWith('cam-3/'))).toEqual([]);
  });

  it('deletes old water masks but keeps each camera its newest, and leaves other objects alone', async () => {
    const put = (key: string) => ctx.store.put('masks', key, Buffer.from('png'), 'image/png');
    const at = (daysAgo: number) => NOW - daysAgo * DAY;
    // cam-a: all three older than the cutoff: the newest of them stays (no newer mask exists).
    for (const d of [40, 35, 31]) await put(`cam-a/${at(d)}.png`);
    // cam-b: one old, one recent, and an object riverwatch did not write.
    for (const d of [40, 1]) await put(`cam-b/${at(d)}.png`);
    await put('cam-b/notes.txt');

    const counts = await sweeper().sweep();

    expect(counts.masks).toBe(3);
    expect(await masks()).toEqual([`cam-a/${at(31)}.png`, `cam-b/${at(1)}.png`, 'cam-b/notes.txt'].sort());
  });

  it('keeps everything when retention is 0', async () => {
    await saveAlert(alert('c-ancient', 'cam-4', 'resolved', 3000, 2999));
    await ctx.store.put('masks', `cam-4/${NOW - 3000 * DAY}.png`, Buffer.from('png'), 'image/png');
    await ctx.store.put('masks', `cam-4/${NOW - 2000 * DAY}.png`, Buffer.from('png'), 'image/png');

    expect(await sweeper({ alertRetentionMs: 0, maskRetentionMs: 0 }).sweep()).toEqual({ alerts: 0, snapshotObjects: 0, masks: 0, danglingIndexEntries: 0 });
    expect(await hasRecord('c-ancient')).toBe(true);
    expect((await masks()).filter((k) => k.startsWith('cam-4/'))).toHaveLength(2);
  });

  it('stops a sweep in progress when the service stops, and the next sweep finishes the work', async () => {
    for (let i = 0; i < 20; i++) await saveAlert(alert(`e-old-${i}`, 'cam-6', 'resolved', 100, 99));
    const stopping = sweeper();
    const sweep = stopping.sweep();
    await stopping.stop();
    expect((await sweep).alerts).toBe(0);
    expect((await indexed()).filter((id) => id.startsWith('e-old-'))).toHaveLength(20);
    await sweeper().sweep();
    expect((await indexed()).filter((id) => id.startsWith('e-old-'))).toEqual([]);
  });

  it('sweeps once per period across replicas', async () => {
    const period = { intervalMs: 1500 };
    const [a, b] = [sweeper(period), sweeper(period)];
    await ctx.redis.del(ctx.keys.retentionLock());
    const first = await Promise.all([a.sweepIfDue(), b.sweepIfDue()]);
    expect(first.filter((c) => c !== null)).toHaveLength(1);
    expect(await b.sweepIfDue()).toBeNull();
    // The period over, a replica sweeps again.
    await expect.poll(() => a.sweepIfDue(), { timeout: 5000, interval: 200 }).not.toBeNull();
  });
});

describe('retention in the running worker', () => {
  let ctx: TestContext;
  let stack: Stack | undefined;

  afterAll(async () => {
    await stack?.stop();
    await ctx?.cleanup();
  });

  it('deletes an alert past ALERT_RETENTION_DAYS on its own and counts it', async () => {
    ctx = await createTestContext({ MODEL_REPOSITORY: `${repoRoot}models`, ALERT_RETENTION_DAYS: '1', RETENTION_INTERVAL_SECONDS: '1' });
    await ctx.store.ensureBuckets();
    const old = alert('d-old', 'cam-5', 'resolved', 10, 9);
    await ctx.redis.set(ctx.keys.alert(old.id), JSON.stringify({ ...old, openedAt: Date.now() - 10 * DAY, resolvedAt: Date.now() - 9 * DAY }));
    await ctx.redis.zadd(ctx.keys.alertIndex(), Date.now() - 10 * DAY, old.id);
    await ctx.store.put('snapshots', old.snapshotKey!, Buffer.from('jpeg'), 'image/jpeg');
    const open = alert('d-open', 'cam-5', 'open', 10, null);
    await ctx.redis.set(ctx.keys.alert(open.id), JSON.stringify({ ...open, openedAt: Date.now() - 10 * DAY }));
    await ctx.redis.zadd(ctx.keys.alertIndex(), Date.now() - 10 * DAY, open.id);

    stack = await runStack({ services: ['worker'], env: ctx.env });
    const port = workerMetricsPort(stack);

    await expect.poll(async () => ctx.redis.exists(ctx.keys.alert(old.id)), { timeout: 15_000 }).toBe(0);
    expect(await ctx.store.list('snapshots')).toEqual([]);
    expect(await ctx.redis.zrange(ctx.keys.alertIndex(), 0, -1)).toEqual([open.id]);
    expect(metricValue(await scrape(port), 'riverwatch_worker_retention_deleted_total', { kind: 'alert' })).toBeGreaterThanOrEqual(1);
  });
});
