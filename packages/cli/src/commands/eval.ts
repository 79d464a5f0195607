import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import { evaluateModel, maskToPng, openModel, readYoloDataset, toPredictionsFile, type DetectionEvaluation, type ImportFormat, type ModelEvaluation } from '@riverwatch/vision';
import type { CliCommand } from '../main.ts';
import { parseList, parsePositive, parseThreshold, withVisionErrors } from '../vision-errors.ts';

const usage = `usage: riverwatch eval --model DIR|FILE.onnx --data DIR [options]

Runs the model over a YOLO dataset (images/, labels/, masks/, data.yaml) with
the worker's pre- and post-processing. Detectors: COCO-style precision, recall,
mAP@0.5 and mAP@0.5:0.95 (101-point interpolation) per class and overall, and
recall by object size (longer side under 16 px, 16-32 px, 32 px and over).
Segmenters: IoU of the water masks.

  --agnostic              any detected class may match any labelled object
  --score S               score threshold for precision/recall (default: the model's)
  --json                  print one JSON object
  --save-predictions F    detectors: write the predictions file training/evaluate.py reads
  --save-masks DIR        segmenters: write predicted masks as DIR/<id>.png (255 = water)
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
        limit: { type: 'string' },
        threads: { type: 'string' },
        format: { type: 'string' },
        classes: { type: 'string' },
        size: { type: 'string' },
      },
    });
    if (!values.model || !values.data) throw new ConfigError(`--model and --data are required\n\n${usage}`);
    const limit = parsePositive('limit', values.limit);
    const scoreThreshold = parseThreshold('score', values.score);
    return withVisionErrors(async () => {
      const dataset = await readYoloDataset(values.data!);
      if (limit) dataset.images = dataset.images.slice(0, limit);
      const { model, version } = await openModel(values.model!, {
        format: values.format as ImportFormat | undefined,
        classes: parseList(values.classes),
        size: parsePositive('size', values.size),
        threads: parsePositive('threads', values.threads),
      });
      const masksDir = values['save-masks'];
      if (masksDir) await mkdir(masksDir, { recursive: true });
      let result: ModelEvaluation;
      try {
        result = await evaluateModel(model, dataset, {
          agnostic: values.agnostic,
          scoreThreshold,
          onMask: masksDir ? async (id, mask) => writeFile(join(masksDir, `${id}.png`), await maskToPng(mask)) : undefined,
          onProgress: values.json || !process.stderr.isTTY ? undefined : (done, total) => process.stderr.write(`\r${done}/${total}`),
        });
      } finally {
        await model.close();
      }
      if (!values.json && process.stderr.isTTY) process.stderr.write('\n');
      if (values['save-predictions'] && result.task === 'detect') {
        await writeFile(values['save-predictions'], JSON.stringify(toPredictionsFile(result.predictions)));
      }
      if (values.json) {
        const { predictions: _omit, ...rest } = result.task === 'detect' ? result : { ...result, predictions: undefined };
        console.log(JSON.stringify({ ...rest, version, data: values.data }));
        return 0;
      }
      console.log(formatEvaluation(result, version, values.data!));
      return 0;
    });
  },
};

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
