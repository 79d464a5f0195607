import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import { decodeFrame, drawAnnotatedSnapshot, openModel, waterShare, type ImportFormat } from '@riverwatch/vision';
import type { CliCommand } from '../main.ts';
import { parseList, parsePositive, parseThreshold, parseTiling, TILING_USAGE, withVisionErrors } from '../vision-errors.ts';

const usage = `usage: riverwatch detect --model DIR|FILE.onnx [options] IMAGE...

Runs a detector (or a water segmenter) on images in this process and prints
class name, score and box (x1, y1, x2, y2 in image pixels) per detection.

  --model DIR|FILE.onnx   a repository model dir, or a bare ONNX file (needs --format)
  --format F              yolov5, ssd, ssd-nms or segmentation (bare ONNX files)
  --classes a,b,...       class names (bare ONNX files without names metadata)
  --size N                input size for ONNX files with dynamic height/width
  --score S               score threshold (default: the model's)
  --iou X                 NMS IoU threshold (default: the model's)
  --agnostic              class-agnostic NMS
${TILING_USAGE}
  --threads N             onnxruntime threads (default: all cores)
  --annotate DIR          also write DIR/<image>.jpg with boxes (or the water mask) drawn
  --json                  print one JSON object`;

export const command: CliCommand = {
  name: 'detect',
  summary: 'run a model on images and print the detections',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        model: { type: 'string' },
        format: { type: 'string' },
        classes: { type: 'string' },
        size: { type: 'string' },
        score: { type: 'string' },
        iou: { type: 'string' },
        agnostic: { type: 'boolean', default: false },
        tiling: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean', default: false },
        annotate: { type: 'string' },
      },
    });
    if (!values.model) throw new ConfigError(`--model is required\n\n${usage}`);
    if (positionals.length === 0) throw new ConfigError(`no images given\n\n${usage}`);
    const opts = { scoreThreshold: parseThreshold('score', values.score), iouThreshold: parseThreshold('iou', values.iou), agnostic: values.agnostic, tiling: parseTiling(values.tiling) };
    return withVisionErrors(async () => {
      const { model, version } = await openModel(values.model!, {
        format: values.format as ImportFormat | undefined,
        classes: parseList(values.classes),
        size: parsePositive('size', values.size),
        threads: parsePositive('threads', values.threads),
      });
      const annotate = values.annotate;
      if (annotate) await mkdir(annotate, { recursive: true });
      const annotated = (path: string) => join(annotate!, `${basename(path, extname(path))}.jpg`);
      try {
        const images = [];
        for (const path of positionals) {
          const bytes = await readFile(path).catch((err: Error) => {
            throw new ConfigError(`cannot read ${path}: ${err.message}`);
          });
          const { width, height } = await decodeFrame(bytes).catch((err: Error) => {
            throw new ConfigError(`${path}: ${err.message}`);
          });
          if (model.config.task === 'segment') {
            const [mask] = await model.segment([bytes]);
            if (annotate) await writeFile(annotated(path), await drawAnnotatedSnapshot(bytes, [], { mask }));
            images.push({ path, width, height, waterShare: Math.round(waterShare(mask!) * 1e4) / 1e4 });
          } else {
            const [dets] = await model.detect([bytes], opts);
            if (annotate) await writeFile(annotated(path), await drawAnnotatedSnapshot(bytes, dets!, { classNames: model.config.classes }));
            images.push({ path, width, height, detections: dets!.map((d) => ({ class: d.className, classId: d.classId, score: round(d.score, 4), box: d.box.map((v) => round(v, 1)) })) });
          }
        }
        if (values.json) {
          console.log(JSON.stringify({ model: model.config.name, version, task: model.config.task, images }));
          return 0;
        }
        for (const im of images) {
          if ('waterShare' in im) {
            console.log(`${im.path} (${im.width}x${im.height}): water ${(im.waterShare! * 100).toFixed(1)}% of the frame`);
            continue;
          }
          console.log(`${im.path} (${im.width}x${im.height}): ${im.detections!.length} detection${im.detections!.length === 1 ? '' : 's'}`);
          for (const d of im.detections!) console.log(`  ${d.class.padEnd(14)} ${d.score.toFixed(3)}  [${d.box.join(', ')}]`);
        }
        return 0;
      } finally {
        await model.close();
      }
    });
  },
};

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}
