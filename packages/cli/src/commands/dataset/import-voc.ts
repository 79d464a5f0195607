import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import type { CliCommand } from '../../main.ts';
import { runKitScript } from './python-kit.ts';

const usage = `usage: riverwatch dataset import-voc SRC OUT [--images DIR] [--classes a,b,...] [--map theirs=ours,...] [--copy]

Converts Pascal VOC XML (labelImg's format) in SRC to a YOLO dataset in OUT
(training/import_voc.py). Images are found next to the XML or in --images.`;

export const subcommand: CliCommand = {
  name: 'import-voc',
  summary: 'convert Pascal VOC XML (labelImg) to a YOLO dataset',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { images: { type: 'string' }, classes: { type: 'string' }, map: { type: 'string' }, copy: { type: 'boolean', default: false } },
    });
    if (positionals.length !== 2) throw new ConfigError(`expected SRC and OUT\n\n${usage}`);
    const [src, out] = positionals as [string, string];
    const args = ['--xml', src, '--out', out];
    if (values.images) args.push('--images', values.images);
    if (values.classes) args.push('--classes', values.classes);
    if (values.map) args.push('--map', values.map);
    if (values.copy) args.push('--copy');
    return runKitScript('import_voc.py', args);
  },
};
