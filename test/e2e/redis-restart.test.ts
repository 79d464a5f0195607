import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStack, type Stack } from '@riverwatch/cli';
import { createRedis, RedisKeys, type Redis } from '@riverwatch/common';
import { freePort, startLocalRedis, type LocalServer } from '@riverwatch/local-infra';
import { createTestContext, type TestContext } from '../support/context.ts';
import { repoRoot } from '../support/cli.ts';
import { addClipCamera } from '../support/http.ts';
import { apiBase } from '../support/stack.ts';

const ADMIN_KEY = 'rw_admin_restart_test_key_0123456789';

/**
 * A fault under a running pipeline: Redis stops (as in a restart or failover)
 * while a camera streams, and comes back on the same address with its AOF.
 * What must hold: no service exits, /readyz says Redis is down while it is,
 * and ingest, worker and API reconnect by themselves: frames flow again and
 * the camera is online, without restarting anything.
 */
describe('Redis restarting under a running pipeline', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rw-redis-restart-'));
  let redisServer: LocalServer | undefined;
  let ctx: TestContext | undefined;
  let stack: Stack | undefined;
  let redis: Redis | undefined;

  afterAll(async () => {
    await stack?.stop();
    redis?.disconnect();
    await redisServer?.stop();
    await ctx?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('ingest, worker and API reconnect by themselves and frames flow again', async () => {
    const port = await freePort();
    redisServer = await startLocalRedis({ dataDir, port });
    ctx = await createTestContext({ REDIS_URL: redisServer.url, RIVERWATCH_ADMIN_KEY: ADMIN_KEY, MODEL_REPOSITORY: `${repoRoot}models`, HOST: '127.0.0.1' });
    redis = createRedis(redisServer.url);
    const keys = new RedisKeys(ctx.keyPrefix);
    stack = await runStack({ services: ['inference', 'worker', 'ingest', 'api'], env: ctx.env });
    const base = apiBase(stack);

    const id = await addClipCamera(base, ADMIN_KEY, 'Restart river', 2);
    const frames = () => redis!.xlen(keys.frameSummaries(id)).catch(() => -1);
    await expect.poll(frames, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(3);

    await redisServer.stop();
    const readyz = async () => {
      const r = await fetch(`${base}/readyz`);
      return { status: r.status, body: (await r.json()) as { checks?: Record<string, boolean> } };
    };
    await expect.poll(async () => (await readyz()).status, { timeout: 15_000 }).toBe(503);
    expect((await readyz()).body.checks?.redis).toBe(false);
    await new Promise((r) => setTimeout(r, 3000));

    redisServer = await startLocalRedis({ dataDir, port });
    // Summaries written before the stop come back from the AOF; new ones follow.
    await expect.poll(frames, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
    const before = await frames();
    await expect.poll(frames, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(before + 4);
    await expect.poll(async () => (await readyz()).status, { timeout: 15_000 }).toBe(200);
    await expect.poll(async () => (await redis!.hget(keys.cameraStatus(id), 'state')) ?? '', { timeout: 30_000 }).toBe('online');
  });
});
