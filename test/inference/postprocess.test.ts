import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '@riverwatch/common';
import type { Tensor } from '@riverwatch/inference-client';
import { decodeDetections, decodeTileDetections, DETECTIONS_OUTPUT, preprocessTiles, resolveTiling, type InferTensor } from '@riverwatch/vision';
import { addModel, FIXTURE_MODELS, metricValue, scrape, startHarness, stockClient, type InferenceHarness } from './support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const modelConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ModelConfig;
const YOLO = modelConfig(join(ROOT, 'models/debris-yolov5'));
const SSD = modelConfig(join(ROOT, 'models/debris-ssd'));
const TINY = modelConfig(join(FIXTURE_MODELS, 'tiny-detector'));
const FRAME = readFileSync(join(ROOT, 'test/fixtures/tiling/river-1280x720.jpg'));
const EVAL_IMAGES = [0, 1, 2, 3, 4, 5].map((i) => readFileSync(join(ROOT, `test/fixtures/eval-sample/images/${String(i).padStart(6, '0')}.jpg`)));

const asInfer = (outputs: Tensor[]): InferTensor[] => outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: o.data }));
const rawNames = (config: ModelConfig) => config.outputs.map((o) => o.name);

/**
 * Server-side post-processing (config.json `postprocess`): the inference server decodes
 * and runs NMS with the worker's own decoders (packages/vision/src/decode) on its session
 * thread and answers a small `detections` output; the raw output is still there by name.
 * Real server, the shipped ONNX detectors.
 */
describe('inference server: postprocess', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startHarness({
      models: [],
      prepare: (repo) => {
        addModel(repo, 'yolo-pp', join(ROOT, 'models/debris-yolov5'), { ...YOLO, postprocess: { enabled: true } });
        addModel(repo, 'ssd-pp', join(ROOT, 'models/debris-ssd'), { ...SSD, postprocess: { enabled: true } });
        addModel(repo, 'tiny-pp', join(FIXTURE_MODELS, 'tiny-detector'), { ...TINY, postprocess: { enabled: true, datatype: 'FP32' } });
      },
    });
  }, 120_000);

  afterAll(() => h?.stop());

  for (const [model, config] of [['yolo-pp', YOLO], ['ssd-pp', SSD]] as const) {
    it(`${model}: the server's detections equal the worker's own decode of the same raw output, tile by tile and merged`, async () => {
      // The worker's path: the frame's tiles (3x3 + the whole frame) as one request.
      const tiles = await preprocessTiles(FRAME, config, resolveTiling(config));
      expect(tiles.shape[0]).toBe(10);
      const res = await h.client.infer(model, [{ name: config.input.name, datatype: config.input.dtype, shape: tiles.shape, data: tiles.tensor }], {
        outputs: [...rawNames(config), DETECTIONS_OUTPUT],
      });
      const outputs = asInfer(res.outputs);
      const served = outputs.filter((o) => o.name === DETECTIONS_OUTPUT);
      const raw = outputs.filter((o) => o.name !== DETECTIONS_OUTPUT);
      expect(served[0]!.shape).toEqual([10, expect.any(Number), 6]);
      expect(served[0]!.datatype).toBe('FP64');

      const own = decodeDetections(raw, config, tiles.transforms);
      expect(decodeDetections(served, config, tiles.transforms)).toEqual(own);
      expect(own.flat().length).toBeGreaterThan(0);
      // Each tile mapped with its own transform, then merged as the worker merges.
      const request = (o: InferTensor[]) => [{ outputs: o, first: 0, tiles: 10 }];
      const merged = decodeTileDetections(request(raw), config, tiles.plan);
      expect(decodeTileDetections(request(served), config, tiles.plan)).toEqual(merged);
      // A client asking for a higher score threshold filters the server's list: still exact.
      const strict = { scoreThreshold: config.thresholds.score + 0.1 };
      expect(decodeDetections(served, config, tiles.transforms, strict)).toEqual(decodeDetections(raw, config, tiles.transforms, strict));
    });
  }

  it('advertises detections in ModelMetadata, answers it by default and the raw output when asked by name', async () => {
    const meta = await h.client.modelMetadata('yolo-pp');
    expect(meta.outputs).toEqual([
      { name: 'output0', datatype: 'FP32', shape: [-1, 15120, 10] },
      { name: DETECTIONS_OUTPUT, datatype: 'FP64', shape: [-1, -1, 6] },
    ]);
    const tiles = await preprocessTiles(EVAL_IMAGES[0]!, YOLO, null);
    const input = [{ name: 'images', datatype: 'UINT8' as const, shape: tiles.shape, data: tiles.tensor }];
    const byDefault = await h.client.infer('yolo-pp', input);
    expect(byDefault.outputs.map((o) => o.name)).toEqual([DETECTIONS_OUTPUT]);
    expect(byDefault.outputs[0]!.data.byteLength).toBeLessThan(10_000); // against 605 KB of raw grid
    const raw = await h.client.infer('yolo-pp', input, { outputs: ['output0'] });
    expect(raw.outputs.map((o) => [o.name, o.shape])).toEqual([['output0', [1, 15120, 10]]]);
    expect(decodeDetections(asInfer(byDefault.outputs), YOLO, tiles.transforms)).toEqual(decodeDetections(asInfer(raw.outputs), YOLO, tiles.transforms));
    // A stock KServe client sees the same.
    const stock = stockClient(h.target);
    const answer = await stock.call<{ outputs: { name: string; datatype: string; shape: string[] }[]; raw_output_contents: Buffer[] }>('ModelInfer', {
      model_name: 'yolo-pp',
      inputs: [{ name: 'images', datatype: 'UINT8', shape: tiles.shape }],
      raw_input_contents: [tiles.tensor],
    });
    expect(answer.outputs.map((o) => o.name)).toEqual([DETECTIONS_OUTPUT]);
    expect(answer.raw_output_contents[0]).toEqual(byDefault.outputs[0]!.data);
    stock.client.close();
  });

  it('splits batched requests per request: each gets its own items, padded only to its own largest count', async () => {
    const frames = await Promise.all(EVAL_IMAGES.map((b) => preprocessTiles(b, YOLO, null)));
    // Requests of 1, 2, 1 and 2 images, sent together so the dynamic batcher stacks them.
    const groups = [[0], [1, 2], [3], [4, 5]];
    const request = (g: number[]) => ({ name: 'images', datatype: 'UINT8' as const, shape: [g.length, 3, 384, 640], data: Buffer.concat(g.map((i) => frames[i]!.tensor)) });
    const transforms = (g: number[]) => g.map((i) => frames[i]!.transforms[0]!);
    const port = h.server.metricsPort;
    const before = await scrape(port);
    const batched = await Promise.all(groups.map((g) => h.client.infer('yolo-pp', [request(g)])));
    const after = await scrape(port);
    const runs = metricValue(after, 'riverwatch_inference_batch_size_count', { model: 'yolo-pp' }) - metricValue(before, 'riverwatch_inference_batch_size_count', { model: 'yolo-pp' });
    expect(runs).toBeLessThan(groups.length); // some requests shared a run

    let padded = 0;
    for (const [k, g] of groups.entries()) {
      const t = asInfer(batched[k]!.outputs)[0]!;
      expect(t.shape[0]).toBe(g.length);
      const mine = decodeDetections([t], YOLO, transforms(g));
      // N is this request's own largest count: no rows of other requests, no extra padding.
      expect(t.shape[1]).toBe(Math.max(...mine.map((d) => d.length)));
      padded += g.length * t.shape[1]! - mine.flat().length;
      // The same request alone, raw output decoded by the client: the same detections (batching may move the last float bits).
      const alone = await h.client.infer('yolo-pp', [request(g)], { outputs: ['output0'] });
      const own = decodeDetections(asInfer(alone.outputs), YOLO, transforms(g));
      expect(mine.map((d) => d.length)).toEqual(own.map((d) => d.length));
      mine.flat().forEach((d, i) => {
        const o = own.flat()[i]!;
        expect([d.className, d.box.map((v) => Math.round(v)), d.score.toFixed(3)]).toEqual([o.className, o.box.map((v) => Math.round(v)), o.score.toFixed(3)]);
      });
    }
    expect(padded).toBeGreaterThan(0); // the images' counts differ, so the padding rows were exercised
  });

  it('answers FP32 detections when the postprocess block asks for them', async () => {
    const data = Buffer.from(new Float32Array(2 * 3 * 32 * 32).fill(0.5).buffer);
    const res = await h.client.infer('tiny-pp', [{ name: 'images', datatype: 'FP32', shape: [2, 3, 32, 32], data }], { outputs: ['output0', DETECTIONS_OUTPUT] });
    const [raw, served] = [asInfer(res.outputs).filter((o) => o.name === 'output0'), asInfer(res.outputs).filter((o) => o.name === DETECTIONS_OUTPUT)];
    expect(served[0]!.datatype).toBe('FP32');
    const identity = { frameWidth: 32, frameHeight: 32, inputWidth: 32, inputHeight: 32, scaleX: 1, scaleY: 1, padX: 0, padY: 0, resizedWidth: 32, resizedHeight: 32 };
    const own = decodeDetections(raw, TINY, [identity, identity]);
    const fromServer = decodeDetections(served, TINY, [identity, identity]);
    expect(fromServer.map((d) => d.length)).toEqual(own.map((d) => d.length));
    fromServer.flat().forEach((d, i) => {
      expect(d.score).toBeCloseTo(own.flat()[i]!.score, 6);
      d.box.forEach((v, k) => expect(v).toBeCloseTo(own.flat()[i]!.box[k]!, 4));
    });
  });

  describe('a postprocess block that cannot work is refused at load, naming the field', () => {
    const cases: [string, object, RegExp][] = [
      ['iou-out-of-range', { ...TINY, postprocess: { enabled: true, iouThreshold: 1.5 } }, /postprocess\.iouThreshold must be a number from 0 to 1, got 1\.5/],
      ['unknown-field', { ...TINY, postprocess: { enabled: true, nms: 'fast' } }, /postprocess\.nms is not a postprocess setting/],
      ['bad-max', { ...TINY, postprocess: { enabled: true, maxDetections: 0 } }, /postprocess\.maxDetections must be an integer from 1 to 10000/],
      ['bad-format', { ...TINY, postprocess: { enabled: true, format: 'segmentation' } }, /postprocess\.format must be yolov5, ssd or ssd-nms/],
      ['no-enabled', { ...TINY, postprocess: { agnostic: true } }, /postprocess\.enabled must be true or false/],
      // Valid on its face, but the decoder does not fit the model: 1 class in the output, 2 in the config.
      ['wrong-classes', { ...TINY, classes: ['bottle', 'bag'], postprocess: { enabled: true } }, /wrong-classes\/config\.json: postprocess\.format yolov5 does not fit the model's outputs: .*expected 5 \+ 2 classes = 7/],
      ['ssd-without-input-size', { ...TINY, input: undefined, postprocess: { enabled: true, format: 'ssd' } }, /postprocess\.format ssd needs input\.width and input\.height/],
    ];
    for (const [name, config, message] of cases) {
      it(name, async () => {
        addModel(h.repository, name, join(FIXTURE_MODELS, 'tiny-detector'), config);
        const stock = stockClient(h.target);
        const err = await stock.failure('RepositoryModelLoad', { model_name: name });
        stock.client.close();
        expect(err.details).toMatch(message);
        expect(await h.client.infer('tiny-pp', [{ name: 'images', datatype: 'FP32', shape: [1, 3, 32, 32], data: Buffer.alloc(3 * 32 * 32 * 4) }])).toBeTruthy();
      });
    }
  });
});
