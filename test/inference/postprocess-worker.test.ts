import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTileDetections, DETECTIONS_OUTPUT, inferTiles, preprocessTiles, resolveTiling } from '@riverwatch/vision';
import type { ModelConfig } from '@riverwatch/common';
import { InferenceClient } from '@riverwatch/inference-client';
import { repoRoot } from '../support/cli.ts';
import { saveCamera } from '../support/clip-feeder.ts';
import { workerMetricsPort } from '../support/stack.ts';
import { startModelStack, type ModelStack } from '../support/worker-stack.ts';
import { metricValue, scrape, startHarness, type InferenceHarness } from './support.ts';

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

/**
 * A server that does not post-process the detector (one from before the option, a Triton
 * server, or one that has not re-read config.json yet) refuses the `detections` output. The
 * worker's own config.json still offers it: the frame must not fail, the worker decodes
 * the raw grid itself (the same detections), and it stops asking for `detections` for a
 * while instead of paying a refused call on every frame.
 */
describe('worker: a server that does not post-process the detector', () => {
  let server: InferenceHarness;
  let run: ModelStack;

  beforeAll(async () => {
    server = await startHarness({
      models: [],
      prepare: (repository) => {
        cpSync(`${repoRoot}models/${MODEL}`, join(repository, MODEL), { recursive: true });
        const { postprocess: _p, ...withoutPostprocess } = config;
        writeFileSync(join(repository, MODEL, 'config.json'), JSON.stringify(withoutPostprocess));
      },
    });
    run = await startModelStack({ services: ['worker'], env: { INFERENCE_TARGETS: server.target, INFERENCE_SHARED_MEMORY: 'false' } });
  });

  afterAll(async () => {
    await run?.stop();
    await server?.stop();
  });

  it('decodes the raw grid in the worker, the same detections, and asks for detections once, not per frame', async () => {
    const refused = async () => metricValue(await scrape(server.server.metricsPort), 'riverwatch_inference_requests_total', { model: MODEL, status: 'INVALID_ARGUMENT' });
    const answered = async () => metricValue(await scrape(server.server.metricsPort), 'riverwatch_inference_requests_total', { model: MODEL, status: 'OK' });
    // One registry per process: the describe above counted into the same series.
    const [refusedBefore, answeredBefore] = [await refused(), await answered()];
    const camera = await saveCamera(run.ctx, 'cam-raw', { minScore: 0 });
    await run.ctx.redis.set(run.ctx.keys.camera('cam-raw'), JSON.stringify({ ...camera, segmenterModel: '' }));

    const results = [];
    for (let i = 0; i < 3; i++) results.push((await run.feeder.finished(await run.feeder.enqueue('cam-raw', FRAME, i, { width: 1280, height: 720 })))!);
    // One refused request (the first frame's), then every request answered with the raw grid:
    // 10 inputs per 1280x720 frame in one request, so one OK per frame.
    expect((await refused()) - refusedBefore).toBe(1);
    expect((await answered()) - answeredBefore).toBe(3);

    const tiles = await preprocessTiles(FRAME, config, resolveTiling(config));
    const requests = await inferTiles(tiles, config.maxBatchSize, async (data, shape) => (await server.client.infer(MODEL, [{ name: 'images', datatype: 'UINT8', shape, data }])).outputs);
    const own = decodeTileDetections(requests, config, tiles.plan);
    expect(own.length).toBeGreaterThan(0);
    for (const result of results) expect(result.detections.map(({ trackId: _t, onWater: _w, ...d }) => d)).toEqual(own);
  });
});
