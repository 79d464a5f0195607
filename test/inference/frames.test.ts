import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfig } from '@riverwatch/common';
import { InferenceError, type InferResult, type Tensor } from '@riverwatch/inference-client';
import {
  decodeDetections,
  decodeTileDetections,
  DETECTIONS_OUTPUT,
  FRAME_INPUT,
  identityTransform,
  preprocessTiles,
  resolveTiling,
  TILING_PARAMETER,
  type InferTensor,
} from '@riverwatch/vision';
import { addModel, metricValue, scrape, startHarness, stockClient, type InferenceHarness } from './support.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const modelConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as ModelConfig;
const YOLO = modelConfig(join(ROOT, 'models/debris-yolov5'));
const SSD = modelConfig(join(ROOT, 'models/debris-ssd'));
const FRAME = readFileSync(join(ROOT, 'test/fixtures/tiling/river-1280x720.jpg'));

const frameInput = (bytes: Buffer): Tensor => ({ name: FRAME_INPUT, datatype: 'UINT8', shape: [bytes.byteLength], data: bytes });
const asInfer = (outputs: Tensor[]): InferTensor[] => outputs.map((o) => ({ name: o.name, datatype: o.datatype, shape: o.shape, data: o.data }));
/** A frame request's answer read as the worker reads it: boxes already in frame pixels. */
const frameDetections = (res: InferResult, config: ModelConfig) =>
  decodeDetections(asInfer(res.outputs), config, [identityTransform(Number(res.parameters.frame_width), Number(res.parameters.frame_height))])[0]!;

async function refusal(p: Promise<unknown>): Promise<InferenceError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InferenceError);
  return err as InferenceError;
}

/**
 * Frame requests (FRAME_INPUT): the worker sends one JPEG and the server pre-processes, tiles,
 * detects and merges. Real server, the shipped detectors, a real 1280x720 frame.
 */
describe('inference server: frame requests', () => {
  let h: InferenceHarness;

  beforeAll(async () => {
    h = await startHarness({
      models: [],
      prepare: (repo) => {
        addModel(repo, 'yolo', join(ROOT, 'models/debris-yolov5'), YOLO);
        addModel(repo, 'ssd', join(ROOT, 'models/debris-ssd'), SSD);
        addModel(repo, 'yolo-raw', join(ROOT, 'models/debris-yolov5'), { ...YOLO, postprocess: undefined });
      },
    });
  }, 120_000);

  afterAll(() => h?.stop());

  for (const [model, config] of [['yolo', YOLO], ['ssd', SSD]] as const) {
    it(`${model}: one frame in finds what the worker finds sending the frame's tiles itself`, async () => {
      // The worker's own path: tiles packed here, sent as tensors, the server's detections mapped and merged here.
      const tiles = await preprocessTiles(FRAME, config, resolveTiling(config));
      const byTiles = await h.client.infer(model, [{ name: config.input.name, datatype: config.input.dtype, shape: tiles.shape, data: tiles.tensor }], { outputs: [DETECTIONS_OUTPUT] });
      const own = decodeTileDetections([{ outputs: asInfer(byTiles.outputs), first: 0, tiles: tiles.shape[0]! }], config, tiles.plan);
      expect(own.length).toBeGreaterThan(0);

      const wire = async () => metricValue(await scrape(h.server.metricsPort), 'riverwatch_inference_request_bytes_total', { model });
      const before = await wire();
      const res = await h.client.infer(model, [frameInput(FRAME)]);
      expect(await wire()).toBe(before + FRAME.byteLength);
      expect(res.parameters).toEqual({ frame_width: 1280, frame_height: 720, tiles: 10 });
      expect(res.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([[DETECTIONS_OUTPUT, 'FP64', [1, own.length, 6]]]);
      expect(frameDetections(res, config)).toEqual(own);
      // What crossed the wire: the JPEG instead of ten 640x384 tiles.
      expect(FRAME.byteLength * 20).toBeLessThan(tiles.tensor.byteLength);
    });
  }

  it("a camera's tiling override travels as the `tiling` parameter", async () => {
    const whole = await h.client.infer('yolo', [frameInput(FRAME)], { parameters: { [TILING_PARAMETER]: JSON.stringify({ enabled: false }) } });
    expect(whole.parameters.tiles).toBe(1);
    const frame = await preprocessTiles(FRAME, YOLO, null);
    const byTensor = await h.client.infer('yolo', [{ name: 'images', datatype: 'UINT8', shape: frame.shape, data: frame.tensor }]);
    expect(frameDetections(whole, YOLO)).toEqual(decodeDetections(asInfer(byTensor.outputs), YOLO, frame.transforms)[0]);
    const finer = await h.client.infer('yolo', [frameInput(FRAME)], { parameters: { [TILING_PARAMETER]: JSON.stringify({ tileWidth: 320, tileHeight: 192 }) } });
    expect(finer.parameters.tiles).toBeGreaterThan(10);
  });

  it('refuses what it cannot run with INVALID_ARGUMENT naming the problem, and goes on serving', async () => {
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => h.client.infer('yolo', [frameInput(Buffer.from('not a jpeg at all'))]), /^input 'frame' is not a decodable image: /],
      [() => h.client.infer('yolo', [frameInput(FRAME.subarray(0, 2000))]), /^input 'frame' is not a decodable image: /],
      [() => h.client.infer('yolo', [{ ...frameInput(FRAME), shape: [1, FRAME.byteLength] }]), /^input 'frame' must be UINT8 \[bytes\] holding one encoded image; got UINT8 \[1,\d+\]/],
      [() => h.client.infer('yolo', [frameInput(FRAME)], { parameters: { [TILING_PARAMETER]: '{"tileWidth": 5}' } }), /^parameter 'tiling': tiling\.tileWidth must be an integer from 32 to 8192, got 5$/],
      [() => h.client.infer('yolo', [frameInput(FRAME)], { parameters: { [TILING_PARAMETER]: 'small please' } }), /^parameter 'tiling' must be a JSON object of tiling settings/],
      [() => h.client.infer('yolo', [frameInput(FRAME)], { parameters: { [TILING_PARAMETER]: '{"tiles": 4}' } }), /^parameter 'tiling' has an unknown field 'tiles'$/],
      [() => h.client.infer('yolo', [frameInput(FRAME)], { outputs: ['output0'] }), /^a 'frame' request answers 'detections' alone, in the message$/],
      [() => h.client.infer('yolo-raw', [frameInput(FRAME)]), /^model yolo-raw does not take 'frame': frame requests need a detector whose config\.json turns postprocess on$/],
    ];
    for (const [call, message] of cases) {
      const err = await refusal(call());
      expect(err.codeName, err.message).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(message);
    }
    expect((await h.client.infer('yolo', [frameInput(FRAME)])).parameters.tiles).toBe(10);
  });

  const extensions = async (target: string) => {
    const stock = stockClient(target);
    try {
      return (await stock.call<{ extensions: string[] }>('ServerMetadata', {})).extensions;
    } finally {
      stock.client.close();
    }
  };

  it('a server with INFERENCE_FRAME_THREADS=0 refuses frames as any server without them does, and does not advertise them', async () => {
    expect(await extensions(h.target)).toContain('riverwatch_frames');
    const off = await startHarness({ models: ['tiny-detector'], env: { INFERENCE_FRAME_THREADS: '0' } });
    try {
      expect(await extensions(off.target)).not.toContain('riverwatch_frames');
      const err = await refusal(off.client.infer('tiny-detector', [frameInput(FRAME)]));
      expect(err.codeName).toBe('INVALID_ARGUMENT');
      expect(err.message).toMatch(/has no input 'frame'/);
    } finally {
      await off.stop();
    }
  });
});
