import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import type { CliCommand } from '../../main.ts';
import { runKitScript } from './python-kit.ts';

const usage = `usage: riverwatch dataset import-coco INSTANCES.json IMAGES OUT [--map "theirs=ours,..."] [--keep-categories | --agnostic-class NAME] [--copy]

Converts COCO detection annotations to a YOLO dataset in OUT
(training/import_coco.py). IMAGES is the folder file_name is relative to.
Categories must map to riverwatch's classes (--map "plastic bottle=bottle",
"name=" drops one) unless --keep-categories or --agnostic-class is given.`;

export const subcommand: CliCommand = {
  name: 'import-coco',
  summary: 'convert COCO JSON annotations to a YOLO dataset',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        map: { type: 'string' },
        'keep-categories': { type: 'boolean', default: false },
        'agnostic-class': { type: 'string' },
        copy: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 3) throw new ConfigError(`expected INSTANCES.json, IMAGES and OUT\n\n${usage}`);
    const [json, images, out] = positionals as [string, string, string];
    const args = ['--json', json, '--images', images, '--out', out];
    if (values.map) args.push('--map', values.map);
    if (values['keep-categories']) args.push('--keep-categories');
    if (values['agnostic-class'] !== undefined) args.push('--agnostic-class', values['agnostic-class']);
    if (values.copy) args.push('--copy');
    return runKitScript('import_coco.py', args);
  },
};
