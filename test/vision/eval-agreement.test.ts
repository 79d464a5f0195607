import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  evaluateDetections,
  evaluateMasks,
  maskFromPng,
  maskToPng,
  readYoloDataset,
  toPredictionsFile,
  type DetectionEvaluation,
  type ImagePredictions,
  type WaterMask,
  type YoloDataset,
} from '@riverwatch/vision';
import { cli, evalSample, FIXTURE_MODELS, prng, pythonEvaluate } from './support.ts';

/**
 * The TypeScript evaluation (what `riverwatch eval` reports) and the training
 * kit's Python evaluation must agree within 0.005 on the same predictions.
 */
const TOLERANCE = 0.005;

let data: string;
let dataset: YoloDataset;
let tmp: string;

beforeAll(async () => {
  data = await evalSample();
  dataset = await readYoloDataset(data);
  tmp = await mkdtemp(join(tmpdir(), 'rw-agree-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

/**
 * Predictions with every kind of case the matching rules care about: jittered
 * hits, misses, class confusions, duplicates, false positives, score ties.
 */
function syntheticPredictions(seed: number): ImagePredictions[] {
  const rnd = prng(seed);
  const nc = dataset.names.length;
  return dataset.images.map((img) => {
    const detections: ImagePredictions['detections'] = [];
    for (const o of img.objects) {
      if (rnd() < 0.15) continue; // missed
      const [x1, y1, x2, y2] = o.box;
      const w = x2 - x1, h = y2 - y1;
      const j = () => (rnd() - 0.5) * 0.3;
      const box: [number, number, number, number] = [x1 + j() * w, y1 + j() * h, x2 + j() * w, y2 + j() * h];
      const classId = rnd() < 0.1 ? (o.classId + 1) % nc : o.classId;
      const score = Math.round((0.3 + rnd() * 0.7) * 20) / 20; // coarse scores: plenty of ties
      detections.push({ classId, score, box });
      if (rnd() < 0.2) detections.push({ classId, score: score * 0.8, box: [box[0] + 2, box[1] + 1, box[2] + 2, box[3] + 1] }); // duplicate
    }
    const fps = Math.floor(rnd() * 4);
    for (let k = 0; k < fps; k++) {
      const x = rnd() * img.width * 0.9, y = rnd() * img.height * 0.9;
      detections.push({ classId: Math.floor(rnd() * nc), score: Math.round(rnd() * 20) / 20, box: [x, y, x + 10 + rnd() * 60, y + 10 + rnd() * 60] });
    }
    return { id: img.id, width: img.width, height: img.height, detections };
  });
}

function expectAgreement(ts: DetectionEvaluation, py: Record<string, unknown>) {
  for (const k of ['mAP50', 'mAP50_95', 'precision', 'recall'] as const) {
    expect(Math.abs(ts[k] - (py[k] as number)), k).toBeLessThanOrEqual(TOLERANCE);
  }
  expect([ts.images, ts.labels, ts.detections]).toEqual([py.images, py.labels, py.detections]);
  const pyPer = py.perClass as Record<string, Record<string, number | null>>;
  expect(Object.keys(ts.perClass)).toEqual(Object.keys(pyPer));
  for (const [name, c] of Object.entries(ts.perClass)) {
    for (const k of ['ap50', 'ap50_95', 'precision', 'recall'] as const) {
      const a = c[k], b = pyPer[name]![k];
      if (a === null || b === null) expect(a, `${name}.${k}`).toBe(b);
      else expect(Math.abs(a - b!), `${name}.${k}`).toBeLessThanOrEqual(TOLERANCE);
    }
  }
  const pySize = py.recallBySize as Record<string, { minPx: number; maxPx: number | null; recall: number | null; labels: number }>;
  expect(Object.keys(ts.recallBySize)).toEqual(Object.keys(pySize));
  for (const [name, b] of Object.entries(ts.recallBySize)) {
    const p = pySize[name]!;
    expect([b.minPx, b.maxPx, b.labels], name).toEqual([p.minPx, p.maxPx, p.labels]);
    if (b.recall === null || p.recall === null) expect(b.recall, `${name}.recall`).toBe(p.recall);
    else expect(Math.abs(b.recall - p.recall), `${name}.recall`).toBeLessThanOrEqual(TOLERANCE);
  }
}

describe('TypeScript and Python evaluations agree', () => {
  it.each([
    { seed: 1, agnostic: false, score: 0.25 },
    { seed: 2, agnostic: true, score: 0.5 },
  ])('on synthetic predictions (seed $seed, agnostic $agnostic, score $score)', async ({ seed, agnostic, score }) => {
    const predictions = syntheticPredictions(seed);
    const file = join(tmp, `preds-${seed}.json`);
    await writeFile(file, JSON.stringify(toPredictionsFile(predictions)));
    const ts = evaluateDetections(dataset.images, new Map(predictions.map((p) => [p.id, p.detections])), dataset.names, { agnostic, scoreThreshold: score });
    const py = await pythonEvaluate(['--data', data, '--pred', file, '--score', String(score), ...(agnostic ? ['--agnostic'] : [])]);
    // The case must be non-trivial for agreement to mean something.
    expect(ts.mAP50).toBeGreaterThan(0.3);
    expect(ts.mAP50).toBeLessThan(0.99);
    // ...and so must recall by size: every bucket has labels and some misses.
    for (const b of Object.values(ts.recallBySize)) expect(b.recall).toBeLessThan(1);
    expect(Math.min(...Object.values(ts.recallBySize).map((b) => b.labels))).toBeGreaterThan(0);
    expectAgreement(ts, py);
  });

  it('on the predictions `riverwatch eval` saves from a real ONNX model run', async () => {
    const file = join(tmp, 'cli-preds.json');
    const res = await cli('eval', '--model', join(FIXTURE_MODELS, 'yolov5-static.onnx'), '--format', 'yolov5', '--classes', dataset.names.slice(0, 2).join(','), '--data', data, '--json', '--save-predictions', file, '--threads', '1', '--agnostic');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const ts = JSON.parse(res.stdout) as { metrics: DetectionEvaluation };
    const saved = JSON.parse(await readFile(file, 'utf8')) as { images: unknown[] };
    expect(saved.images).toHaveLength(dataset.images.length);
    expectAgreement(ts.metrics, await pythonEvaluate(['--data', data, '--pred', file, '--agnostic', '--score', String(ts.metrics.scoreThreshold)]));
  });

  it('on water mask IoU', async () => {
    const dir = join(tmp, 'pred-masks');
    await mkdir(dir, { recursive: true });
    const pairs: { pred: WaterMask; truth: WaterMask }[] = [];
    for (const img of dataset.images.filter((i) => i.maskPath)) {
      const truth = await maskFromPng(await readFile(img.maskPath!));
      // Prediction: the true mask shifted down 6 rows, at half resolution (evaluate.py resizes nearest).
      const shifted = new Uint8Array(truth.data.length);
      shifted.set(truth.data.subarray(0, truth.data.length - 6 * truth.width), 6 * truth.width);
      const half = { width: truth.width / 2, height: truth.height / 2, data: new Uint8Array((truth.width / 2) * (truth.height / 2)) };
      for (let y = 0; y < half.height; y++) for (let x = 0; x < half.width; x++) half.data[y * half.width + x] = shifted[2 * y * truth.width + 2 * x]!;
      await writeFile(join(dir, `${img.id}.png`), await maskToPng(half));
      pairs.push({ pred: half, truth });
    }
    expect(pairs.length).toBeGreaterThan(0);
    const ts = evaluateMasks(pairs);
    const py = await pythonEvaluate(['--data', data, '--pred-masks', dir]);
    expect(ts.iou).toBeLessThan(0.999);
    expect(Math.abs(ts.iou - (py.iou as number))).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(ts.meanIoU - (py.meanIoU as number))).toBeLessThanOrEqual(TOLERANCE);
  });
});

describe('riverwatch eval on a segmenter', () => {
  it('reports the same IoU as training/evaluate.py on the masks it saves', async () => {
    const dir = join(tmp, 'cli-masks');
    const res = await cli('eval', '--model', join(FIXTURE_MODELS, 'segmenter.onnx'), '--format', 'segmentation', '--data', data, '--json', '--save-masks', dir, '--threads', '1');
    expect(res.code).toBe(0);
    const ts = JSON.parse(res.stdout) as { task: string; metrics: { iou: number; meanIoU: number; images: number } };
    expect(ts.task).toBe('segment');
    // The fixture (water = bluer than red) is a crude segmenter: neither perfect nor useless on rendered rivers.
    expect(ts.metrics.iou).toBeGreaterThan(0);
    expect(ts.metrics.iou).toBeLessThan(1);
    const py = await pythonEvaluate(['--data', data, '--pred-masks', dir]);
    expect(Math.abs(ts.metrics.iou - (py.iou as number))).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(ts.metrics.meanIoU - (py.meanIoU as number))).toBeLessThanOrEqual(TOLERANCE);
    expect(py.images).toBe(ts.metrics.images);
  });
});
