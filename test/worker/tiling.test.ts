import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CameraConfig } from '@riverwatch/common';
import { repoRoot } from '../support/cli.ts';
import { saveCamera } from '../support/clip-feeder.ts';
import { detectOne, startModelStack, type ModelStack } from '../support/worker-stack.ts';
import { cli } from '../vision/support.ts';

const frame = readFileSync(`${repoRoot}test/fixtures/tiling/river-1280x720.jpg`);
const MODEL = 'debris-yolov5';

/**
 * Tiled detection in the worker, against the real inference server and the shipped
 * detector (its config.json tiles 640x384 with 20% overlap plus a full-frame pass):
 * a 1280x720 frame goes to the server as one batch of 3x3 tiles + the whole frame,
 * the merged detections are the ones `riverwatch detect` finds in process, and a
 * camera can turn tiling off. The worker takes two frames at a time, so tiled frames of
 * several cameras are in flight together (two 10-input requests cannot share a batch of 16).
 */
describe('worker: tiled detection', () => {
  let run: ModelStack;

  beforeAll(async () => {
    // A tiled frame is one 10-input request; on a loaded 2-core machine two of them queued
    // behind each other can pass the default 10 s deadline. What is tested here is that
    // they finish and what they find, so the deadline is generous.
    run = await startModelStack({ env: { WORKER_CONCURRENCY: '2', INFERENCE_DEADLINE_MS: '120000' } });
  });

  afterAll(() => run?.stop());

  const detect = (cameraId: string, seq: number) => detectOne(run, cameraId, seq, frame, MODEL);

  it('sends the tiles of a frame as one batch and merges them into frame pixels, as riverwatch detect does', async () => {
    await saveCamera(run.ctx, 'cam-tiled');
    const { result, batches, inputs } = await detect('cam-tiled', 0);
    expect(batches).toBe(1);
    expect(inputs).toBe(10);
    expect(result.width).toBe(1280);
    expect(result.detections.length + result.ignored).toBeGreaterThan(0);
    for (const d of result.detections) {
      expect(d.box[0]).toBeGreaterThanOrEqual(0);
      expect(d.box[2]).toBeLessThanOrEqual(1280);
      expect(d.box[3]).toBeLessThanOrEqual(720);
    }

    // The same frame in process, through the CLI: the same tiles and merge give the same boxes.
    const inProcess = await cli('detect', '--model', `${repoRoot}models/${MODEL}`, '--json', '--threads', '1', `${repoRoot}test/fixtures/tiling/river-1280x720.jpg`);
    expect(inProcess.code, inProcess.stderr).toBe(0);
    const cliDets = (JSON.parse(inProcess.stdout) as { images: { detections: { box: number[]; score: number }[] }[] }).images[0]!.detections;
    // The worker drops detections off the water; every one it kept is among the CLI's.
    for (const d of result.detections) {
      expect(cliDets.some((c) => c.box.every((v, k) => Math.abs(v - d.box[k]!) <= 0.5) && Math.abs(c.score - d.score) < 1e-3), JSON.stringify(d)).toBe(true);
    }
    expect(cliDets.length).toBe(result.detections.length + result.ignored);
  });

  it("a camera's tiling override runs the frame whole", async () => {
    const camera: CameraConfig = await saveCamera(run.ctx, 'cam-whole');
    await run.ctx.redis.set(run.ctx.keys.camera('cam-whole'), JSON.stringify({ ...camera, tiling: { enabled: false } }));
    const { batches, inputs } = await detect('cam-whole', 0);
    expect(batches).toBe(1);
    expect(inputs).toBe(1);
  });

  it('tiled frames of several cameras in flight at once all finish, each with its own detections', async () => {
    const cameras = ['cam-a', 'cam-b', 'cam-c', 'cam-d'];
    for (const id of cameras) await saveCamera(run.ctx, id);
    const single = (await detect('cam-a', 0)).result;
    const jobs = await Promise.all(cameras.flatMap((id) => [1, 2].map((seq) => run.feeder.enqueue(id, frame, seq, { width: 1280, height: 720 }))));
    const results = await Promise.all(jobs.map((job) => run.feeder.finished(job)));
    expect(results).toHaveLength(8);
    for (const r of results) {
      expect(r!.detections.map((d) => d.box)).toEqual(single.detections.map((d) => d.box));
      expect(r!.ignored).toBe(single.ignored);
    }
  });
});
