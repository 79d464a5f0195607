import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTileDetections, DETECTIONS_OUTPUT, inferTiles, preprocessTiles, resolveTiling } from '@riverwatch/vision';
import type { ModelConfig } from '@riverwatch/common';
import { InferenceClient } from '@riverwatch/inference-client';
import { repoRoot } from '../support/cli.ts';
import { saveCamera } from '../support/clip-feeder.ts';
import { workerMetricsPort } from '../support/stack.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';
import { metricValue, scrape } from './support.ts';

const MODEL = 'debris-yolov5';
const FRAME = readFileSync(`${repoRoot}test/fixtures/tiling/river-1280x720.jpg`);
const config = JSON.parse(readFileSync(`${repoRoot}models/${MODEL}/config.json`, 'utf8')) as ModelConfig;

/**
 * The worker on the shipped detector, whose config.json asks the server to post-process:
 * the frame's tiles come back as `detections` (decoded on the server's session thread),
 * and the worker's detections are exactly those it gets by decoding the raw grid itself.
 */
describe('worker: detections decoded by the inference server', () => {
  let run: ModelStack;

  beforeAll(async () => {
    run = await startModelStack({ env: { INFERENCE_SHARED_MEMORY: 'false' } });
  });

  afterAll(() => run?.stop());

  it('uses the server detections and gets the detections of its own decode, tile transforms and merge included', async () => {
    expect(config.postprocess?.enabled).toBe(true);
    // One process: the worker's /metrics carries the inference server's series too.
    const port = workerMetricsPort(run.stack);
    const decoded = async () => metricValue(await scrape(port), 'riverwatch_inference_postprocess_seconds_count', { model: MODEL });
    const before = await decoded();
    // No water segmentation and no score floor: every detection is kept, so the worker's list is the decode's whole.
    const camera = await saveCamera(run.ctx, 'cam-pp', { minScore: 0 });
    await run.ctx.redis.set(run.ctx.keys.camera('cam-pp'), JSON.stringify({ ...camera, segmenterModel: '' }));
    const result = (await run.feeder.finished(await run.feeder.enqueue('cam-pp', FRAME, 0, { width: 1280, height: 720 })))!;
    expect(await decoded()).toBeGreaterThan(before); // the server decoded the frame's tiles

    // The same tiles, raw grid asked for by name, decoded and merged here.
    const inference = run.stack.services.find((s) => s.name === 'inference') as unknown as { grpcPort: number };
    const client = new InferenceClient([`127.0.0.1:${inference.grpcPort}`], { deadlineMs: 60_000 });
    try {
      const tiles = await preprocessTiles(FRAME, config, resolveTiling(config));
      const requests = await inferTiles(tiles, config.maxBatchSize, async (data, shape) => (await client.infer(MODEL, [{ name: 'images', datatype: 'UINT8', shape, data }], { outputs: ['output0'] })).outputs);
      expect(requests.every((r) => r.outputs.every((o) => o.name !== DETECTIONS_OUTPUT))).toBe(true);
      const own = decodeTileDetections(requests, config, tiles.plan);
      expect(own.length).toBeGreaterThan(0);
      expect(result.ignored).toBe(0);
      expect(result.detections.map(({ trackId: _t, onWater: _w, ...d }) => d)).toEqual(own);
    } finally {
      client.close();
    }
  });
});
