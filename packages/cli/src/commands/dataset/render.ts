import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import type { CliCommand } from '../../main.ts';
import { runKitScript } from './python-kit.ts';

const usage = `usage: riverwatch dataset render --split train|eval --count N --out DIR [--seed S] [--width W] [--height H] [--start I]

Renders river scenes deterministically from the split's seed (the eval split
has its own and is never trained on) into DIR/images, labels, masks and data.yaml.`;

const int = (name: string, v: string | undefined, min: number) => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new ConfigError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return v;
};

export const subcommand: CliCommand = {
  name: 'render',
  summary: 'render a synthetic river dataset (training/render.py)',
  usage,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { split: { type: 'string' }, count: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, width: { type: 'string' }, height: { type: 'string' }, start: { type: 'string' } },
    });
    if (values.split !== 'train' && values.split !== 'eval') throw new ConfigError(`--split must be train or eval\n\n${usage}`);
    if (!values.out) throw new ConfigError(`--out is required\n\n${usage}`);
    if (!values.count) throw new ConfigError(`--count is required\n\n${usage}`);
    const args = ['--split', values.split, '--count', int('count', values.count, 1)!, '--out', values.out];
    for (const k of ['seed', 'width', 'height', 'start'] as const) {
      const v = int(k, values[k], k === 'seed' || k === 'start' ? 0 : 16);
      if (v !== undefined) args.push(`--${k}`, v);
    }
    return runKitScript('render.py', args);
  },
};
