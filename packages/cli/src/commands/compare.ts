import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import { evaluateModel, listModelEntries, OnnxModel, readYoloDataset, type ModelEvaluation } from '@riverwatch/vision';
import type { CliCommand } from '../main.ts';
import { parsePositive, withVisionErrors } from '../vision-errors.ts';

const usage = `usage: riverwatch compare --data DIR [options]

Runs every detector in the model repository on one YOLO dataset and prints
accuracy and latency side by side ("SSD or YOLOv5?" for this data).

  --repository DIR   model repository (MODEL_REPOSITORY, default ./models)
  --agnostic         any detected class may match any labelled object
  --limit N          only the first N images
  --threads N        onnxruntime threads (default: all cores)
  --json             print one JSON object
  --markdown         print a Markdown table
  --write FILE       also put the Markdown table and this command into FILE
                     (between <!-- compare:start --> and <!-- compare:end -->)`;

type DetectResult = Extract<ModelEvaluation, { task: 'detect' }> & { version: string; input: string; format: string };

export function compareMarkdown(rows: DetectResult[], data: string, commandLine: string): string {
  const lines = [
    `Dataset \`${data}\`, ${rows[0]?.metrics.images ?? 0} images, ${rows[0]?.metrics.labels ?? 0} labelled objects. Latency: one image at a time (pre-processing + inference + decoding, onnxruntime CPU in-process).`,
    '',
    '| model | format | input | mAP@0.5 | mAP@0.5:0.95 | precision | recall | mean ms | p95 ms |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((r) => `| ${r.model} v${r.version} | ${r.format} | ${r.input} | ${r.metrics.mAP50.toFixed(3)} | ${r.metrics.mAP50_95.toFixed(3)} | ${r.metrics.precision.toFixed(3)} | ${r.metrics.recall.toFixed(3)} | ${r.latency.meanMs.toFixed(1)} | ${r.latency.p95Ms.toFixed(1)} |`),
    '',
    'Produced by:',
    '',
    '```',
    commandLine,
    '```',
  ];
  return lines.join('\n');
}

/** Replaces the marked section of a Markdown file (or appends one). */
export function spliceSection(doc: string, body: string): string {
  const start = '<!-- compare:start -->';
  const end = '<!-- compare:end -->';
  const block = `${start}\n${body}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i >= 0 && j > i) return doc.slice(0, i) + block + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${block}\n`;
}

export const command: CliCommand = {
  name: 'compare',
  summary: 'compare every detector in the repository on one dataset',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        data: { type: 'string' },
        repository: { type: 'string' },
        agnostic: { type: 'boolean', default: false },
        limit: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean', default: false },
        markdown: { type: 'boolean', default: false },
        write: { type: 'string' },
      },
    });
    if (!values.data) throw new ConfigError(`--data is required\n\n${usage}`);
    const repository = values.repository ?? process.env.MODEL_REPOSITORY ?? './models';
    const limit = parsePositive('limit', values.limit);
    const threads = parsePositive('threads', values.threads);
    return withVisionErrors(async () => {
      const detectors = (await listModelEntries(repository)).filter((e) => e.config.task === 'detect');
      if (detectors.length === 0) throw new ConfigError(`no detectors in ${repository}`);
      const dataset = await readYoloDataset(values.data!);
      if (limit) dataset.images = dataset.images.slice(0, limit);
      const rows: DetectResult[] = [];
      for (const entry of detectors) {
        const model = await OnnxModel.open(entry.onnxPath, entry.config, { threads });
        try {
          const r = await evaluateModel(model, dataset, { agnostic: values.agnostic });
          if (r.task === 'detect') rows.push({ ...r, version: entry.version, format: entry.config.format, input: `${entry.config.input.width}x${entry.config.input.height} ${entry.config.input.dtype}` });
        } finally {
          await model.close();
        }
      }
      const commandLine = `riverwatch compare ${argv.filter((a, i) => a !== '--write' && argv[i - 1] !== '--write' && a !== '--markdown' && a !== '--json').join(' ')}`;
      const markdown = compareMarkdown(rows, values.data!, commandLine);
      if (values.write) {
        const doc = await readFile(values.write, 'utf8').catch(() => '# Models\n');
        await writeFile(values.write, spliceSection(doc, markdown));
      }
      if (values.json) {
        console.log(JSON.stringify({ data: values.data, models: rows.map(({ predictions: _p, ...r }) => r) }));
      } else if (values.markdown) {
        console.log(markdown);
      } else {
        console.log(`${'model'.padEnd(22)} ${'format'.padEnd(8)} ${'mAP50'.padStart(6)} ${'50:95'.padStart(6)} ${'P'.padStart(6)} ${'R'.padStart(6)} ${'mean ms'.padStart(8)} ${'p95 ms'.padStart(8)}`);
        for (const r of rows) {
          const m = r.metrics;
          console.log(`${`${r.model} v${r.version}`.padEnd(22)} ${r.format.padEnd(8)} ${m.mAP50.toFixed(3).padStart(6)} ${m.mAP50_95.toFixed(3).padStart(6)} ${m.precision.toFixed(3).padStart(6)} ${m.recall.toFixed(3).padStart(6)} ${r.latency.meanMs.toFixed(1).padStart(8)} ${r.latency.p95Ms.toFixed(1).padStart(8)}`);
        }
      }
      return 0;
    });
  },
};
