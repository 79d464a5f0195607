import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCachedWaterMask } from '@riverwatch/common';
import { createWaterMask, maskToPng } from '@riverwatch/vision';
import { loadClip, saveCamera } from '../support/clip-feeder.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';

/**
 * A camera's cached water mask is a PNG in Redis, shared by the worker replicas. A worker
 * decides from the mask it holds while that one is fresh, and reads Redis's description
 * (capture time, version, size, uses) only when it holds none (or a stale one); the PNG's
 * bytes cross Redis once per worker and mask, not once per frame.
 * Watched with MONITOR, so only on a single Redis (RIVERWATCH_TEST_REDIS=cluster skips it).
 */
describe.skipIf(process.env.RIVERWATCH_TEST_REDIS === 'cluster')('worker: Redis commands of a frame (MONITOR)', () => {
  let run: ModelStack;
  let monitor: ChildProcess;
  const commands: string[][] = [];

  beforeAll(async () => {
    run = await startModelStack({ services: ['inference', 'worker'] });
    // redis-cli MONITOR lines: `<time> [<db> <client>] "command" "arg" ...`
    monitor = spawn('redis-cli', ['-u', run.ctx.redisUrl, 'MONITOR'], { stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: monitor.stdout! }).on('line', (line) => {
      const args = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
      if (args.length) commands.push(args);
    });
    await new Promise((resolve) => monitor.stdout!.once('data', resolve)); // "OK": watching
  });
  afterAll(async () => {
    monitor?.kill();
    await run?.stop();
  });

  it('reads the description and the PNG once, then nothing of the mask for the frames that reuse it', async () => {
    const { ctx, feeder } = run;
    const cameraId = 'cam-mask-reads';
    await saveCamera(ctx, cameraId);
    // A mask another replica segmented: fresh for these frames, all water.
    const png = await maskToPng(createWaterMask(640, 360, new Uint8Array(640 * 360).fill(1)));
    await writeCachedWaterMask(ctx.redis, ctx.keys, cameraId, { png, at: feeder.capturedAt(0), width: 640, height: 360, version: '1', uses: 0 });

    const clip = loadClip('debris-appears');
    for (let i = 1; i <= 4; i++) await feeder.feed(cameraId, clip.frame(i), i);

    const key = ctx.keys.waterMask(cameraId);
    const on = (name: string) => commands.filter((c) => c[0]?.toLowerCase() === name && c[1] === key);
    expect(on('hgetall')).toHaveLength(0);
    expect(on('hget').map((c) => c[2])).toEqual(['png']);
    expect(on('hmget')).toHaveLength(1);
    expect(on('hincrby')).toHaveLength(0);
    // The mask was reused by every frame (no segmentation: the same one, nothing written to it).
    expect(on('hset')).toHaveLength(1); // the test's own write above
    expect(await ctx.redis.hget(key, 'at')).toBe(String(feeder.capturedAt(0)));
  });

  it('commits a frame with one lock SET, one pipelined read of config and memory and one script', async () => {
    const { ctx, feeder } = run;
    const cameraId = 'cam-mask-reads'; // warmed up above: its mask and config are held by the worker
    const clip = loadClip('debris-appears');
    const from = commands.length;
    const frames = 4;
    for (let i = 5; i < 5 + frames; i++) await feeder.feed(cameraId, clip.frame(i), i);
    const tag = `{${cameraId}}`;
    // Commands naming one of the camera's keys, per frame (the script's own ones included: MONITOR
    // shows them too). Not counted: the in-flight ZREM of a finished single-frame job (ingest's
    // per-frame protocol; it runs after the job's completion reaches the feeder, or just before).
    const perFrame: Record<string, number> = {};
    for (const c of commands.slice(from)) {
      const name = c[0]!.toLowerCase();
      if (name === 'zrem' || !c.slice(1).some((a) => a.includes(tag))) continue;
      perFrame[name] = (perFrame[name] ?? 0) + 1 / frames;
    }
    expect(perFrame).toEqual({
      // the lock (NX), the claim (NX), the memory, the latest state
      set: 4,
      // the config and memory under the lock (one round trip), the lock inside the script
      get: 3,
      evalsha: 1,
      // the history and the ledger's `committed`
      xadd: 2,
      // the live frame (its TTL is refreshed every few minutes, not every frame)
      hset: 1,
      // the lock, released by the script
      del: 1,
    });
    // Nothing of the mask, no MULTI, no EXISTS, no HMGET/HINCRBY: the frame's state costs 12 commands in Redis.
    expect(Object.values(perFrame).reduce((a, b) => a + b, 0)).toBe(12);
    expect(await ctx.redis.xlen(ctx.keys.frameSummaries(cameraId))).toBe(8);
  });
});
