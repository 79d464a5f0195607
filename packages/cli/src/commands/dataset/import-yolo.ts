import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import type { CliCommand } from '../../main.ts';
import { runKitScript } from './python-kit.ts';

const usage = `usage: riverwatch dataset import-yolo SRC [OUT] [--split val] [--map theirs=ours,...] [--copy]

Validates a YOLO dataset users bring (DIR/images + labels, Ultralytics'
images/{train,val}, or a data.yaml) and, with OUT, writes a clean copy in
riverwatch's layout (training/import_yolo.py). Without OUT it only validates.`;

export const subcommand: CliCommand = {
  name: 'import-yolo',
  summary: 'validate and import a YOLO dataset users bring',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { split: { type: 'string' }, map: { type: 'string' }, copy: { type: 'boolean', default: false } },
    });
    if (positionals.length < 1 || positionals.length > 2) throw new ConfigError(`expected SRC [OUT]\n\n${usage}`);
    const args = ['--src', positionals[0]!];
    if (positionals[1]) args.push('--out', positionals[1]);
    if (values.split) args.push('--split', values.split);
    if (values.map) args.push('--map', values.map);
    if (values.copy) args.push('--copy');
    return runKitScript('import_yolo.py', args);
  },
};
