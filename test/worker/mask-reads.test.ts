import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCachedWaterMask } from '@riverwatch/common';
import { createWaterMask, maskToPng } from '@riverwatch/vision';
import { loadClip, saveCamera } from '../support/clip-feeder.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';

/**
 * A camera's cached water mask is a PNG in Redis, shared by the worker replicas. A worker
 * that already holds that mask decoded reads only its description (capture time, version,
 * size, uses), so the PNG's bytes cross Redis once per worker and mask, not once per frame.
 * Watched with MONITOR, so only on a single Redis (RIVERWATCH_TEST_REDIS=cluster skips it).
 */
describe.skipIf(process.env.RIVERWATCH_TEST_REDIS === 'cluster')('worker: reads of the cached water mask', () => {
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

  it('reads the PNG once to decode it, then only the description for the frames that reuse it', async () => {
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
    expect(on('hmget')).toHaveLength(4);
    // The mask was reused by every frame (no segmentation), counted in Redis.
    expect(await ctx.redis.hget(key, 'uses')).toBe('4');
    expect(await ctx.redis.hget(key, 'at')).toBe(String(feeder.capturedAt(0)));
  });
});
