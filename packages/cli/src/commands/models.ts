import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import { importModel, listModelEntries, type ImportFormat } from '@riverwatch/vision';
import type { CliCommand } from '../main.ts';
import { parseList, parsePositive, withVisionErrors } from '../vision-errors.ts';

const usage = `usage: riverwatch models import FILE.onnx --format yolov5|ssd|ssd-nms|segmentation --name NAME [options]
       riverwatch models list [--repository DIR] [--json]

import inspects the ONNX file (input name, dtype, layout and size; outputs;
class names and stride from YOLOv5 export metadata) and writes
DIR/NAME/config.json and DIR/NAME/<next version>/model.onnx.

  --repository DIR        model repository (MODEL_REPOSITORY, default ./models)
  --classes a,b,...       class names (required when the export has no names metadata)
  --size N                input size for exports with dynamic height/width (default 640)
  --resize MODE           letterbox (YOLOv5, segmentation default) or stretch (SSD default)
  --bgr                   the model takes BGR instead of RGB
  --scale X --mean a,b,c --std a,b,c
                          input normalisation: (pixel * scale - mean) / std (default 1/255, 0, 1)`;

const FORMATS: ImportFormat[] = ['yolov5', 'ssd', 'ssd-nms', 'segmentation'];

function triple(name: string, v: string | undefined, fallback: number[]): number[] {
  if (v === undefined) return fallback;
  const xs = v.split(',').map(Number);
  if (xs.length !== 3 || xs.some((x) => !Number.isFinite(x))) throw new ConfigError(`--${name} needs three numbers, got "${v}"`);
  return xs;
}

async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      name: { type: 'string' },
      classes: { type: 'string' },
      repository: { type: 'string' },
      size: { type: 'string' },
      resize: { type: 'string' },
      bgr: { type: 'boolean', default: false },
      scale: { type: 'string' },
      mean: { type: 'string' },
      std: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new ConfigError(`expected one FILE.onnx\n\n${usage}`);
  const format = values.format as ImportFormat | undefined;
  if (!format || !FORMATS.includes(format)) throw new ConfigError(`--format must be one of ${FORMATS.join(', ')}`);
  if (!values.name) throw new ConfigError('--name is required');
  if (values.resize && values.resize !== 'letterbox' && values.resize !== 'stretch') throw new ConfigError('--resize must be letterbox or stretch');
  const normalize =
    values.scale || values.mean || values.std
      ? { scale: parsePositive('scale', values.scale) ?? 1 / 255, mean: triple('mean', values.mean, [0, 0, 0]), std: triple('std', values.std, [1, 1, 1]) }
      : undefined;
  const repository = values.repository ?? process.env.MODEL_REPOSITORY ?? './models';
  const result = await importModel(file, repository, {
    format,
    name: values.name,
    classes: parseList(values.classes),
    size: parsePositive('size', values.size),
    resize: values.resize as 'letterbox' | 'stretch' | undefined,
    colorOrder: values.bgr ? 'BGR' : 'RGB',
    normalize,
  });
  if (values.json) {
    console.log(JSON.stringify({ dir: result.dir, version: result.version, config: result.config }));
  } else {
    const c = result.config;
    console.log(`imported ${c.name} version ${result.version} into ${result.dir}`);
    console.log(`  ${c.task} (${c.format}), input ${c.input.name} ${c.input.dtype} ${c.input.layout} ${c.input.width}x${c.input.height}, max batch ${c.maxBatchSize}`);
    console.log(`  outputs ${c.outputs.map((o) => `${o.name}[${o.dims.join(',')}] ${o.dtype}`).join(', ')}`);
    console.log(`  classes ${c.classes.join(', ')}`);
  }
  return 0;
}

async function runList(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { repository: { type: 'string' }, json: { type: 'boolean', default: false } } });
  const entries = await listModelEntries(values.repository ?? process.env.MODEL_REPOSITORY ?? './models');
  if (values.json) {
    console.log(JSON.stringify(entries.map((e) => ({ name: e.config.name, version: e.version, task: e.config.task, format: e.config.format, classes: e.config.classes, dir: e.dir }))));
    return 0;
  }
  for (const e of entries) {
    const c = e.config;
    console.log(`${c.name.padEnd(20)} v${e.version.padEnd(3)} ${c.task.padEnd(7)} ${c.format.padEnd(13)} ${c.input.width}x${c.input.height} ${c.input.dtype}  ${c.classes.join(',')}`);
  }
  return 0;
}

export const command: CliCommand = {
  name: 'models',
  summary: 'import ONNX models into the repository, list them',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    return withVisionErrors(async () => {
      if (sub === 'import') return runImport(rest);
      if (sub === 'list') return runList(rest);
      throw new ConfigError(`unknown subcommand "${sub ?? ''}"\n\n${usage}`);
    });
  },
};
