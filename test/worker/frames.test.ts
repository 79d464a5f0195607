import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraConfig, FrameResult } from '@riverwatch/common';
import { repoRoot } from '../support/cli.ts';
import { saveCamera } from '../support/clip-feeder.ts';
import { workerMetricsPort } from '../support/stack.ts';
import { detectOne, startModelStack, type ModelStack } from '../support/worker-stack.ts';
import { metricValue, scrape } from '../inference/support.ts';

const frame = readFileSync(`${repoRoot}test/fixtures/tiling/river-1280x720.jpg`);
const MODEL = 'debris-yolov5';
const ENV = { WORKER_CONCURRENCY: '2', INFERENCE_DEADLINE_MS: '120000' };

const detect = (run: ModelStack, cameraId: string, seq: number) => detectOne(run, cameraId, seq, frame, MODEL);

const boxes = (r: FrameResult) => r.detections.map((d) => [d.className, d.box.map((v) => Math.round(v * 100) / 100), Math.round(d.score * 1e4) / 1e4]);

/**
 * INFERENCE_SEND_FRAMES: the worker sends the encoded frame and the inference server tiles,
 * detects and merges it. Real Redis, real server, the shipped detector: the worker's results are
 * those of the worker sending the tiles itself, a camera's tiling override still applies, a
 * corrupt frame still fails at once, and a server that takes no frames gets the tiles.
 */
describe('worker: whole frames to the inference server', () => {
  let viaFrames: ModelStack;
  let viaTiles: ModelStack;

  beforeAll(async () => {
    viaFrames = await startModelStack({ env: { ...ENV, INFERENCE_SEND_FRAMES: 'true' } });
    viaTiles = await startModelStack({ env: ENV });
  }, 120_000);

  afterAll(async () => {
    await viaFrames?.stop();
    await viaTiles?.stop();
  });

  it('finds what the worker finds sending the tiles, in one batch of the same ten inputs', async () => {
    await saveCamera(viaFrames.ctx, 'cam-f');
    await saveCamera(viaTiles.ctx, 'cam-f');
    const whole = await detect(viaFrames, 'cam-f', 0);
    const tiles = await detect(viaTiles, 'cam-f', 0);
    expect([whole.batches, whole.inputs]).toEqual([1, 10]);
    expect([tiles.batches, tiles.inputs]).toEqual([1, 10]);
    expect(whole.result.detections.length + whole.result.ignored).toBeGreaterThan(0);
    expect(boxes(whole.result)).toEqual(boxes(tiles.result));
    expect(whole.result.ignored).toBe(tiles.result.ignored);
  });

  it("a camera's tiling override goes with the frame", async () => {
    const camera: CameraConfig = await saveCamera(viaFrames.ctx, 'cam-whole');
    await viaFrames.ctx.redis.set(viaFrames.ctx.keys.camera('cam-whole'), JSON.stringify({ ...camera, tiling: { enabled: false } }));
    const { batches, inputs } = await detect(viaFrames, 'cam-whole', 0);
    expect([batches, inputs]).toEqual([1, 1]);
  });

  it('a corrupt frame fails at once, as corrupt, and the next frame is detected', async () => {
    await saveCamera(viaFrames.ctx, 'cam-bad');
    const port = workerMetricsPort(viaFrames.stack);
    const corruptBefore = metricValue(await scrape(port), 'riverwatch_worker_frames_total', { outcome: 'corrupt' });
    const job = await viaFrames.feeder.enqueue('cam-bad', frame.subarray(0, 3000), 0, { width: 1280, height: 720, attempts: 3 });
    await expect(viaFrames.feeder.finished(job)).rejects.toThrow(/corrupt/);
    expect((await viaFrames.feeder.queue.getJob(job.id!))?.attemptsMade).toBe(1);
    expect(metricValue(await scrape(port), 'riverwatch_worker_frames_total', { outcome: 'corrupt' })).toBe(corruptBefore + 1);
    expect((await detect(viaFrames, 'cam-bad', 1)).inputs).toBe(10);
  });

  it('a server that takes no frames is sent the tiles, and the frame is detected all the same', async () => {
    const old = await startModelStack({ env: { ...ENV, INFERENCE_SEND_FRAMES: 'true', INFERENCE_FRAME_THREADS: '0' } });
    try {
      await saveCamera(old.ctx, 'cam-f');
      const first = await detect(old, 'cam-f', 0);
      expect([first.batches, first.inputs]).toEqual([1, 10]);
      expect(boxes(first.result)).toEqual(boxes((await detect(viaTiles, 'cam-f', 1)).result));
    } finally {
      await old.stop();
    }
  });
});
