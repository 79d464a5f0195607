import { afterAll, describe, expect, it } from 'vitest';
import { readLedger } from '@riverwatch/common';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';
import { OwnRedisPipeline, SCENARIO_TIMEOUT_MS, audit, committedFrames, printFigure, scaled } from '../support/chaos.ts';

const ADMIN_KEY = 'rw_admin_chaos_redis_kill_0123456789';
const CAMERAS = scaled(2, 3);
/** What "acknowledged" means here: written this long before the kill (AOF fsyncs every second). */
const ACKNOWLEDGED_MS = 1000;

/**
 * redis-server killed with SIGKILL under load (AOF, appendfsync everysec, as BullMQ's guide
 * asks), then started again on the same address and data. What must hold: every ledger and
 * history entry and alert written more than a second before the kill is there after the
 * restart; ingest, worker and API reconnect without being restarted and frames flow again;
 * a frame lost with Redis was being queued at the instant of the kill.
 */
describe('chaos: Redis killed under load', () => {
  let run: OwnRedisPipeline | undefined;

  afterAll(() => run?.stop());

  it('keeps everything acknowledged a second before the kill; the services carry on', async () => {
    run = await OwnRedisPipeline.start('redis-kill', { RIVERWATCH_ADMIN_KEY: ADMIN_KEY });
    const { ctx, stack } = run;
    const base = apiBase(stack);
    const cameras: string[] = [];
    for (let i = 0; i < CAMERAS; i++) cameras.push(await addClipCamera(base, ADMIN_KEY, `Killed river ${i}`, 2));
    await expect.poll(() => committedFrames(ctx, cameras), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(6);

    const written = async () => {
      const ids: string[] = [];
      for (const id of cameras) {
        ids.push(...(await readLedger(ctx.redis, ctx.keys, id)).map((e) => `ledger ${id} ${e.id}`));
        ids.push(...(await ctx.redis.xrange(ctx.keys.frameSummaries(id), '-', '+')).map(([entry]) => `history ${id} ${entry}`));
      }
      ids.push(...(await ctx.redis.zrange(ctx.keys.alertIndex(), 0, -1)).map((a) => `alert ${a}`));
      return ids;
    };
    const acknowledged = await written();
    // Load goes on; the kill comes once what was read above is more than a second old.
    await new Promise((r) => setTimeout(r, ACKNOWLEDGED_MS + 100));
    const killedAt = Date.now();
    process.kill(run.redisPid(), 'SIGKILL');
    await run.restartRedis();

    const after = new Set(await written());
    const missing = acknowledged.filter((id) => !after.has(id));
    const committedAtRestart = await committedFrames(ctx, cameras);
    await expect.poll(() => committedFrames(ctx, cameras), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(committedAtRestart + 4);
    await expect.poll(async () => (await fetch(`${base}/readyz`)).status, { timeout: 15_000 }).toBe(200);
    const cameraList = await fetch(`${base}/v1/cameras`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    for (const id of cameras) await expect.poll(async () => (await ctx.redis.hget(ctx.keys.cameraStatus(id), 'state')) ?? '', { timeout: 30_000 }).toBe('online');

    const report = await audit(ctx);
    // A frame lost with Redis must have been queued within the last second before the kill.
    const queuedAt = new Map<string, number>();
    for (const id of cameras) for (const e of await readLedger(ctx.redis, ctx.keys, id)) if (e.event === 'queued') queuedAt.set(e.frameId, e.at);
    const lostEarly = report.problems.filter((p) => p.kind === 'lost' && (queuedAt.get(p.frameId!) ?? 0) < killedAt - ACKNOWLEDGED_MS);
    printFigure('Redis SIGKILL + restart', { acknowledgedEntries: acknowledged.length, missingAfterRestart: missing.length, frames: report.frames, duplicates: report.duplicates, lostQueuedInLastSecond: report.frames.lost - lostEarly.length });
    expect(missing).toEqual([]);
    expect(cameraList.status).toBe(200);
    expect(lostEarly).toEqual([]);
    expect(report.frames.inTwoStates).toBe(0);
    expect(report.duplicates).toEqual({ commits: 0, alerts: 0 });
    expect(report.alerts.missingEvidence).toBe(0);
  }, SCENARIO_TIMEOUT_MS);
});
