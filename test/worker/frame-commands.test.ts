import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCachedWaterMask } from '@riverwatch/common';
import { createWaterMask, maskToPng } from '@riverwatch/vision';
import { alertFramesCounted, cameraAlerts, loadClip, saveCamera } from '../support/clip-feeder.ts';
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
  /** The index in `commands` after everything sent so far (MONITOR's lines arrive late): a marker sent and awaited. */
  async function mark(): Promise<number> {
    const key = `monitor-mark-${Math.random()}`;
    await run.ctx.redis.get(key);
    await expect.poll(() => commands.findIndex((c) => c[1] === key), { timeout: 5000 }).toBeGreaterThanOrEqual(0);
    return commands.findIndex((c) => c[1] === key) + 1;
  }

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

  it('commits a frame with one lock SET, one MGET of config and memory and one script', async () => {
    const { ctx, feeder } = run;
    const cameraId = 'cam-mask-reads'; // warmed up above: its mask and config are held by the worker
    const clip = loadClip('debris-appears');
    const from = await mark();
    const frames = 4;
    for (let i = 5; i < 5 + frames; i++) await feeder.feed(cameraId, clip.frame(i), i);
    const tag = `{${cameraId}}`;
    // Commands naming one of the camera's keys, per frame (the script's own ones included: MONITOR
    // shows them too). Not counted: the in-flight ZREM of a finished single-frame job (ingest's
    // per-frame protocol; it runs after the job's completion reaches the feeder, or just before).
    const perFrame: Record<string, number> = {};
    const to = await mark();
    for (const c of commands.slice(from, to)) {
      const name = c[0]!.toLowerCase();
      if (name === 'zrem' || !c.slice(1).some((a) => a.includes(tag))) continue;
      perFrame[name] = (perFrame[name] ?? 0) + 1 / frames;
    }
    expect(perFrame).toEqual({
      // the lock (NX), the memory
      set: 2,
      // the config and memory under the lock
      mget: 1,
      // the lock inside the script
      get: 1,
      evalsha: 1,
      // the history: also the frame's `committed` for the audit
      xadd: 1,
      // the live frame (its TTL is refreshed every few minutes, not every frame)
      hset: 1,
      // the lock, released by the script
      del: 1,
    });
    // Nothing of the mask, no MULTI, no EXISTS, no HMGET/HINCRBY, no claim key and no history
    // read (a frame newer than the camera's newest commit cannot be a duplicate): 8 commands.
    expect(Object.values(perFrame).reduce((a, b) => a + b, 0)).toBe(8);
    expect(await ctx.redis.xlen(ctx.keys.frameSummaries(cameraId))).toBe(8);
  });

  it("writes an open alert's record at most every few seconds of capture time, counting every frame", async () => {
    const { ctx, feeder } = run;
    const cameraId = 'cam-alert-writes';
    await saveCamera(ctx, cameraId);
    const clip = loadClip('debris-appears'); // debris on the water from frame 20
    let i = 0;
    for (; i < 40 && !(await cameraAlerts(ctx, cameraId, 'debris')).length; i++) await feeder.feed(cameraId, clip.frame(i), i);
    const [alert] = await cameraAlerts(ctx, cameraId, 'debris');
    expect(alert).toBeDefined();
    const countedBefore = await alertFramesCounted(ctx, alert!);
    const summariesBefore = await ctx.redis.xlen(ctx.keys.frameSummaries(cameraId));

    const from = await mark();
    const frames = 16; // 8 s at 2 fps
    for (let j = i; j < i + frames; j++) await feeder.feed(cameraId, clip.frame(j), j);
    const to = await mark();
    const onAlerts = commands.slice(from, to).filter((c) => c.slice(1).some((a) => a === ctx.keys.alert(alert!.id) || a === ctx.keys.alertIndex()));
    const writes = onAlerts.filter((c) => c[0]!.toLowerCase() === 'set');
    // Every 5 s of capture time (10 frames at 2 fps): once or twice in 8 s, not 16 times; the
    // time index is written when an alert opens, never again.
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(2);
    expect(onAlerts.filter((c) => c[0]!.toLowerCase() === 'zadd')).toHaveLength(0);

    // Still every frame that met the condition counts (record + held in the camera's memory).
    const entries = await ctx.redis.xrange(ctx.keys.frameSummaries(cameraId), '-', '+');
    const debrisFrames = entries.slice(summariesBefore).filter(([, f]) => Object.values((JSON.parse(f[1]!) as { counts: Record<string, number> }).counts).reduce((a, b) => a + b, 0) >= 1).length;
    expect(entries.length - summariesBefore).toBe(frames);
    expect(debrisFrames).toBeGreaterThan(frames / 2);
    const [now] = await cameraAlerts(ctx, cameraId, 'debris');
    expect(await alertFramesCounted(ctx, now!)).toBe(countedBefore + debrisFrames);
  });
});
