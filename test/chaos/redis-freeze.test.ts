import { afterAll, describe, expect, it } from 'vitest';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';
import { NOTHING_LOST, OwnRedisPipeline, SCENARIO_TIMEOUT_MS, audit, committedFrames, frozen, lossAndDuplication, printFigure, scaled } from '../support/chaos.ts';

const ADMIN_KEY = 'rw_admin_chaos_redis_freeze_0123456789';
const FREEZE_MS = scaled(4000, 10_000);
const REDIS_TIMEOUT_MS = 1000;

/**
 * redis-server frozen with SIGSTOP (a stuck host, a long fork): connections stay open but
 * nothing answers. What must hold: API calls that need Redis answer 503 after
 * API_REDIS_TIMEOUT_MS instead of hanging, /readyz is false while /healthz stays true, and
 * after SIGCONT everything answers and frames flow again, with nothing lost or duplicated.
 */
describe('chaos: Redis frozen', () => {
  let run: OwnRedisPipeline | undefined;

  afterAll(() => run?.stop());

  it(`API calls answer 503 fast during a ${FREEZE_MS / 1000} s freeze; everything recovers after SIGCONT`, async () => {
    run = await OwnRedisPipeline.start('redis-freeze', { RIVERWATCH_ADMIN_KEY: ADMIN_KEY, API_REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS) });
    const { ctx, stack } = run;
    const base = apiBase(stack);
    const id = await addClipCamera(base, ADMIN_KEY, 'Frozen river', 2);
    await expect.poll(() => committedFrames(ctx, [id]), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);

    const get = async (path: string, auth = true) => {
      const started = performance.now();
      // A generous client limit: without a Redis timeout in the API these requests would hang for the whole freeze.
      const res = await fetch(`${base}${path}`, { headers: auth ? { authorization: `Bearer ${ADMIN_KEY}` } : {}, signal: AbortSignal.timeout(FREEZE_MS * 3) });
      await res.arrayBuffer();
      return { status: res.status, ms: Math.round(performance.now() - started), retryAfter: res.headers.get('retry-after') };
    };

    const during = await frozen(run.redisPid(), async () => {
      const frozenAt = Date.now();
      const cameras = await get('/v1/cameras');
      const alerts = await get('/v1/alerts');
      await expect.poll(async () => (await get('/readyz', false)).status, { timeout: FREEZE_MS }).toBe(503);
      const healthz = await get('/healthz', false);
      // The freeze lasts its full length whatever the checks took.
      await new Promise((r) => setTimeout(r, Math.max(0, FREEZE_MS - (Date.now() - frozenAt))));
      return { cameras, alerts, healthz };
    });
    printFigure(`Redis SIGSTOP ${FREEZE_MS / 1000} s`, { apiRedisTimeoutMs: REDIS_TIMEOUT_MS, camerasMs: during.cameras.ms, alertsMs: during.alerts.ms });
    expect(during.cameras).toMatchObject({ status: 503, retryAfter: '1' });
    expect(during.alerts.status).toBe(503);
    expect(during.healthz.status).toBe(200);

    // After SIGCONT: ready again, API answers, frames flow, without restarting anything.
    await expect.poll(async () => (await get('/readyz', false)).status, { timeout: 30_000 }).toBe(200);
    expect((await get('/v1/cameras')).status).toBe(200);
    const before = await committedFrames(ctx, [id]);
    await expect.poll(() => committedFrames(ctx, [id]), { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(before + 3);
    const report = await audit(ctx);
    printFigure(`Redis SIGSTOP ${FREEZE_MS / 1000} s, audit`, { frames: report.frames, dropReasons: report.dropReasons, failReasons: report.failReasons });
    expect(lossAndDuplication(report)).toEqual(NOTHING_LOST);
  }, SCENARIO_TIMEOUT_MS);
});
