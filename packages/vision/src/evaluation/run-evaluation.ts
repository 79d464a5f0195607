import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { InvalidInputError, type Detection, type TilingConfig, type TilingOverride } from '@riverwatch/common';
import { maskFromPng } from '../mask/mask-png.ts';
import { resolveTiling } from '../tiling/tile-plan.ts';
import { decodeTileDetections, inferTiles } from '../tiling/tiled-detect.ts';
import { preprocessTiles } from '../tiling/tiled-preprocess.ts';
import type { WaterMask } from '../mask/water-mask.ts';
import type { OnnxModel } from '../runtime/onnx-model.ts';
import { evaluateDetections, type DetectionEvaluation } from './detection-eval.ts';
import type { ImagePredictions } from './predictions.ts';
import { evaluateMasks, type SegmentationEvaluation } from './segmentation-eval.ts';
import type { YoloDataset } from './yolo-dataset.ts';

export interface LatencySummary {
  /** Per image, batch 1: pre-processing + inference + decoding at the model's threshold, in milliseconds. */
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  images: number;
}

export type ModelEvaluation =
  | {
      task: 'detect';
      model: string;
      metrics: DetectionEvaluation;
      latency: LatencySummary;
      predictions: ImagePredictions[];
      unmatchedClasses: string[];
      /** How the detector ran over each image (null: whole frames). */
      tiling: Required<TilingConfig> | null;
    }
  | { task: 'segment'; model: string; metrics: SegmentationEvaluation; latency: LatencySummary };

export interface RunEvaluationOptions {
  agnostic?: boolean;
  /** Precision/recall threshold (default: the model's thresholds.score). */
  scoreThreshold?: number;
  /** Score threshold for the detections mAP ranks (default 0.001, as YOLOv5's val.py). */
  mapScoreThreshold?: number;
  /** Untimed runs before measuring, so session warm-up does not count (default 1). */
  warmup?: number;
  onProgress?: (done: number, total: number) => void;
  /** Overrides the model's tiling (the default is how config.json says the model runs). */
  tiling?: TilingOverride;
  /** Segmenters: called with each predicted mask (e.g. to save it for training/evaluate.py --pred-masks). */
  onMask?: (imageId: string, mask: WaterMask) => Promise<void>;
}

export function summariseLatency(ms: number[]): LatencySummary {
  if (ms.length === 0) return { meanMs: 0, p50Ms: 0, p95Ms: 0, images: 0 };
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { meanMs: r(ms.reduce((a, b) => a + b, 0) / ms.length), p50Ms: r(q(0.5)), p95Ms: r(q(0.95)), images: ms.length };
}

/**
 * Maps model class ids to dataset class ids by name. In agnostic mode every
 * class counts; otherwise classes the dataset does not know are dropped.
 */
function classMap(modelClasses: readonly string[], datasetNames: readonly string[], agnostic: boolean): { map: (number | undefined)[]; unmatched: string[] } {
  const map = modelClasses.map((c, i) => (agnostic ? i : datasetNames.indexOf(c) >= 0 ? datasetNames.indexOf(c) : undefined));
  const unmatched = modelClasses.filter((_, i) => map[i] === undefined);
  if (!agnostic && unmatched.length === modelClasses.length) {
    throw new InvalidInputError(`none of the model's classes (${modelClasses.join(', ')}) is in the dataset (${datasetNames.join(', ')}); use --agnostic to match any class`);
  }
  return { map, unmatched };
}

/** Runs a model over a YOLO dataset, one image at a time, with the worker's pre/post-processing. */
export async function evaluateModel(model: OnnxModel, dataset: YoloDataset, opts: RunEvaluationOptions = {}): Promise<ModelEvaluation> {
  const { config } = model;
  const latencies: number[] = [];
  const total = dataset.images.length;
  const warm = Math.min(opts.warmup ?? 1, total);
  for (let i = 0; i < warm; i++) {
    const bytes = await readFile(dataset.images[i]!.path);
    await (config.task === 'segment' ? model.segment([bytes]) : model.detect([bytes], { scoreThreshold: opts.mapScoreThreshold ?? 0.001 }));
  }

  if (config.task === 'segment') {
    const pairs: { pred: WaterMask; truth: WaterMask }[] = [];
    let done = 0;
    for (const img of dataset.images) {
      opts.onProgress?.(++done, total);
      if (!img.maskPath) continue;
      const bytes = await readFile(img.path);
      const t0 = performance.now();
      const [pred] = await model.segment([bytes]);
      latencies.push(performance.now() - t0);
      await opts.onMask?.(img.id, pred!);
      pairs.push({ pred: pred!, truth: await maskFromPng(await readFile(img.maskPath)) });
    }
    if (pairs.length === 0) throw new InvalidInputError(`${dataset.root} has no masks/ to evaluate a segmenter against`);
    return { task: 'segment', model: config.name, metrics: evaluateMasks(pairs), latency: summariseLatency(latencies) };
  }

  const { map, unmatched } = classMap(config.classes, dataset.names, opts.agnostic ?? false);
  // Tiled exactly as the worker runs the model (its config.json), unless opts.tiling overrides it.
  const tiling = resolveTiling(config, opts.tiling);
  const predictions: ImagePredictions[] = [];
  let done = 0;
  for (const img of dataset.images) {
    const bytes = await readFile(img.path);
    // Latency is what the pipeline pays: decoding at the model's own threshold. mAP needs
    // the low-threshold decode of the same outputs, which is timed apart from it.
    const t0 = performance.now();
    const batch = await preprocessTiles(bytes, config, tiling);
    const requests = await inferTiles(batch, config.maxBatchSize, (t, shape) => model.infer(t, shape));
    decodeTileDetections(requests, config, batch.plan);
    latencies.push(performance.now() - t0);
    const dets = decodeTileDetections(requests, config, batch.plan, { scoreThreshold: opts.mapScoreThreshold ?? 0.001 });
    const kept = (dets as Detection[]).flatMap((d) => (map[d.classId] === undefined ? [] : [{ classId: map[d.classId]!, score: d.score, box: d.box }]));
    predictions.push({ id: img.id, width: img.width, height: img.height, detections: kept });
    opts.onProgress?.(++done, total);
  }
  const metrics = evaluateDetections(
    dataset.images,
    new Map(predictions.map((p) => [p.id, p.detections])),
    dataset.names,
    { agnostic: opts.agnostic, scoreThreshold: opts.scoreThreshold ?? config.thresholds.score },
  );
  return { task: 'detect', model: config.name, metrics, latency: summariseLatency(latencies), predictions, unmatchedClasses: unmatched, tiling };
}
