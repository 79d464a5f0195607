import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, DEFAULT_ALERT_RULES } from '@riverwatch/common';
import {
  datasetWaterMasks,
  evaluateModel,
  evaluateWaterPlacement,
  hasDatasetMasks,
  maskToPng,
  openModel,
  readYoloDataset,
  toPredictionsFile,
  type DetectionEvaluation,
  type DatasetImage,
  type ImportFormat,
  type ModelEvaluation,
  type OnnxModel,
  type WaterMasks,
  type WaterPlacementReport,
  type YoloDataset,
} from '@riverwatch/vision';
import type { CliCommand } from '../main.ts';
import { parseList, parsePositive, parseThreshold, parseTiling, TILING_USAGE, withVisionErrors } from '../vision-errors.ts';

const usage = `usage: riverwatch eval --model DIR|FILE.onnx --data DIR [options]

Runs the model over a YOLO dataset (images/, labels/, masks/, data.yaml) with
the worker's pre- and post-processing. Detectors: COCO-style precision, recall,
mAP@0.5 and mAP@0.5:0.95 (101-point interpolation) per class and overall, and
recall by object size (longer side under 16 px, 16-32 px, 32 px and over),
and where the false positives lie: on the water or off it by the worker's rule
(a box counts when at least --min-water-overlap of it is water; off water, the
worker drops it), with the precision of what the worker keeps and the true
positives it drops. Water comes from the dataset's masks/ when it has any, else
from the water segmenter run on each image.
Segmenters: IoU of the water masks.

  --agnostic              any detected class may match any labelled object
  --score S               score threshold for precision/recall (default: the model's)
  --json                  print one JSON object
  --save-predictions F    detectors: write the predictions file training/evaluate.py reads
  --save-masks DIR        segmenters: write predicted masks as DIR/<id>.png (255 = water)
  --segmenter DIR|none    detectors on a dataset without masks/: the water segmenter
                          (default: water-seg next to --model, e.g. models/water-seg,
                          when it exists; none: report false positives as unknown)
  --min-water-overlap S   share of a box on water for it to count (default ${DEFAULT_ALERT_RULES.minWaterOverlap}, the cameras' default)
${TILING_USAGE}
  --limit N               only the first N images
  --threads N             onnxruntime threads (default: all cores)
  --format F --classes L --size N   for a bare ONNX file`;

export const command: CliCommand = {
  name: 'eval',
  summary: 'evaluate a model on a YOLO dataset (mAP, precision, recall; IoU)',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        model: { type: 'string' },
        data: { type: 'string' },
        agnostic: { type: 'boolean', default: false },
        score: { type: 'string' },
        json: { type: 'boolean', default: false },
        'save-predictions': { type: 'string' },
        'save-masks': { type: 'string' },
        segmenter: { type: 'string' },
        'min-water-overlap': { type: 'string' },
        limit: { type: 'string' },
        threads: { type: 'string' },
        format: { type: 'string' },
        classes: { type: 'string' },
        size: { type: 'string' },
        tiling: { type: 'string' },
      },
    });
    if (!values.model || !values.data) throw new ConfigError(`--model and --data are required\n\n${usage}`);
    const limit = parsePositive('limit', values.limit);
    const scoreThreshold = parseThreshold('score', values.score);
    const minWaterOverlap = parseThreshold('min-water-overlap', values['min-water-overlap']);
    return withVisionErrors(async () => {
      const dataset = await readYoloDataset(values.data!);
      if (limit) dataset.images = dataset.images.slice(0, limit);
      const threads = parsePositive('threads', values.threads);
      const { model, version } = await openModel(values.model!, {
        format: values.format as ImportFormat | undefined,
        classes: parseList(values.classes),
        size: parsePositive('size', values.size),
        threads,
      });
      const masksDir = values['save-masks'];
      if (masksDir) await mkdir(masksDir, { recursive: true });
      let result: ModelEvaluation;
      let evaluationWater: EvaluationWater | null = null;
      let water: WaterPlacement | null = null;
      try {
        try {
          // Before the detector runs, so a wrong --segmenter fails at once rather than after the whole dataset.
          if (model.config.task === 'detect') evaluationWater = await openEvaluationWater(dataset, values.model!, values.segmenter, threads);
          result = await evaluateModel(model, dataset, {
            agnostic: values.agnostic,
            scoreThreshold,
            tiling: parseTiling(values.tiling),
            onMask: masksDir ? async (id, mask) => writeFile(join(masksDir, `${id}.png`), await maskToPng(mask)) : undefined,
            onProgress: values.json || !process.stderr.isTTY ? undefined : (done, total) => process.stderr.write(`\r${done}/${total}`),
          });
        } finally {
          await model.close();
        }
        if (evaluationWater && result.task === 'detect') water = await placeOnWater(result, dataset, evaluationWater, minWaterOverlap);
      } finally {
        await evaluationWater?.segmenter?.model.close();
      }
      if (!values.json && process.stderr.isTTY) process.stderr.write('\n');
      if (values['save-predictions'] && result.task === 'detect') {
        await writeFile(values['save-predictions'], JSON.stringify(toPredictionsFile(result.predictions)));
      }
      if (values.json) {
        const { predictions: _omit, ...rest } = result.task === 'detect' ? result : { ...result, predictions: undefined };
        console.log(JSON.stringify({ ...rest, version, data: values.data, ...water }));
        return 0;
      }
      console.log(formatEvaluation(result, version, values.data!));
      if (water && result.task === 'detect') console.log(['', ...formatWaterPlacement(water, result.metrics.scoreThreshold)].join('\n'));
      return 0;
    });
  },
};

/** The water segmenter the worker would pair with this detector: water-seg beside it in the model repository. */
function defaultSegmenter(modelPath: string): string | undefined {
  const beside = join(dirname(resolve(modelPath)), 'water-seg');
  return existsSync(join(beside, 'config.json')) ? beside : undefined;
}

type WaterPlacement = WaterPlacementReport & { segmenter?: { model: string; version: string } };

/** The water detections are judged against, and the segmenter opened for it (the caller closes it). */
interface EvaluationWater {
  masks: WaterMasks<DatasetImage>;
  segmenter: { model: OnnxModel; version: string } | null;
}

async function openEvaluationWater(dataset: YoloDataset, modelPath: string, segmenterArg: string | undefined, threads: number | undefined): Promise<EvaluationWater> {
  // Labelled water beats predicted water: the segmenter is opened only for a dataset without masks/.
  const segmenterPath = hasDatasetMasks(dataset) || segmenterArg === 'none' ? undefined : (segmenterArg ?? defaultSegmenter(modelPath));
  const segmenter = segmenterPath ? await openModel(segmenterPath, { threads }) : null;
  try {
    return { masks: datasetWaterMasks(dataset, segmenter?.model ?? null), segmenter };
  } catch (err) {
    await segmenter?.model.close();
    throw err;
  }
}

async function placeOnWater(result: Extract<ModelEvaluation, { task: 'detect' }>, dataset: YoloDataset, water: EvaluationWater, minWaterOverlap: number | undefined): Promise<WaterPlacement> {
  const predictions = new Map(result.predictions.map((p) => [p.id, p.detections]));
  const { agnostic, scoreThreshold } = result.metrics;
  const report = await evaluateWaterPlacement(dataset.images, predictions, dataset.names, water.masks, { agnostic, scoreThreshold, minWaterOverlap });
  return water.segmenter ? { ...report, segmenter: { model: water.segmenter.model.config.name, version: water.segmenter.version } } : report;
}

/** Whether the water mask already removes the false alarms: false positives on and off the water, and what the filter costs. */
export function formatWaterPlacement(w: WaterPlacement, scoreThreshold: number): string[] {
  const fp = w.falsePositives;
  const lines = [`  false positives at score >= ${scoreThreshold}: ${fp.total}, on water ${fp.onWater}, off water ${fp.offWater}, no mask ${fp.unknown}`];
  if (fp.waterSource === 'none') return [...lines, '    (no water: the dataset has no masks/ and no segmenter was used; see --segmenter)'];
  const source = fp.waterSource === 'dataset-masks' ? "the dataset's masks/" : `${w.segmenter?.model ?? 'the segmenter'} v${w.segmenter?.version ?? '?'}`;
  lines.push(`    (water from ${source}; on water = at least ${w.minWaterOverlap} of the box, what the worker keeps)`);
  if (w.keptByWaterMask) {
    lines.push(`  precision of the detections the worker keeps: ${pct(w.keptByWaterMask.precision).trim()} (${w.keptByWaterMask.truePositives}/${w.keptByWaterMask.detections})`);
    lines.push(`  true positives the water mask drops: ${w.truePositivesOffWater}`);
  }
  return lines;
}

const pct = (v: number | null) => (v === null ? '   -  ' : v.toFixed(3).padStart(6));

export function formatEvaluation(r: ModelEvaluation, version: string, data: string): string {
  const lines = [`${r.model}${version === 'file' ? ' (ONNX file)' : ` v${version}`} on ${data}`];
  if (r.task === 'segment') {
    lines.push(`  IoU ${r.metrics.iou.toFixed(4)}  mean per-image IoU ${r.metrics.meanIoU.toFixed(4)}  (${r.metrics.images} images)`);
  } else {
    const m = r.metrics;
    lines.push(`  ${m.images} images, ${m.labels} labels, ${m.detections} detections; precision/recall at score >= ${m.scoreThreshold}${m.agnostic ? ', class-agnostic' : ''}`);
    lines.push('', `  ${'class'.padEnd(14)} ${'labels'.padStart(6)} ${'P'.padStart(6)} ${'R'.padStart(6)} ${'mAP50'.padStart(6)} ${'50:95'.padStart(6)}`);
    lines.push(`  ${'all'.padEnd(14)} ${String(m.labels).padStart(6)} ${pct(m.precision)} ${pct(m.recall)} ${pct(m.mAP50)} ${pct(m.mAP50_95)}`);
    for (const [name, c] of Object.entries(m.perClass)) {
      lines.push(`  ${name.padEnd(14)} ${String(c.labels).padStart(6)} ${pct(c.precision)} ${pct(c.recall)} ${pct(c.ap50)} ${pct(c.ap50_95)}`);
    }
    lines.push('', ...formatRecallBySize(m));
    if (r.unmatchedClasses.length) lines.push('', `  model classes not in the dataset (ignored): ${r.unmatchedClasses.join(', ')}`);
  }
  lines.push('', `  latency per image (batch 1, pre + infer + post): mean ${r.latency.meanMs} ms, p50 ${r.latency.p50Ms} ms, p95 ${r.latency.p95Ms} ms`);
  return lines.join('\n');
}

/** Where small debris is lost: recall per size bucket (longer side of the labelled box), with its label count. */
function formatRecallBySize(m: DetectionEvaluation): string[] {
  const range = (b: { minPx: number; maxPx: number | null }) => (b.maxPx === null ? `>=${b.minPx}px` : b.minPx ? `${b.minPx}-${b.maxPx}px` : `<${b.maxPx}px`);
  return [
    `  ${'size'.padEnd(14)} ${'labels'.padStart(6)} ${'R'.padStart(6)}   (longer side of the labelled box)`,
    ...Object.entries(m.recallBySize).map(([name, b]) => `  ${`${name} ${range(b)}`.padEnd(14)} ${String(b.labels).padStart(6)} ${pct(b.recall)}`),
  ];
}
