import { readdir } from 'node:fs/promises';
import { ConfigError } from '@riverwatch/common';
import type { CliCommand } from '../main.ts';

/**
 * `riverwatch dataset <sub>`: each module in ./dataset/ exporting `subcommand`
 * is one subcommand, so other areas add theirs (export of review frames)
 * without touching this file.
 */
async function loadSubcommands(): Promise<Map<string, CliCommand>> {
  const dir = new URL('./dataset/', import.meta.url);
  const subs = new Map<string, CliCommand>();
  for (const file of (await readdir(dir).catch(() => [] as string[])).sort()) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const mod = (await import(new URL(file, dir).href)) as { subcommand?: CliCommand };
    if (mod.subcommand) subs.set(mod.subcommand.name, mod.subcommand);
  }
  return subs;
}

function help(subs: Map<string, CliCommand>): string {
  return ['usage: riverwatch dataset <subcommand> [options]', '', ...[...subs.values()].map((s) => `  ${s.name.padEnd(12)} ${s.summary}`), '', 'riverwatch dataset <subcommand> --help for its options'].join('\n');
}

export const command: CliCommand = {
  name: 'dataset',
  summary: 'render, import and export datasets in the YOLO layout',
  usage: 'usage: riverwatch dataset <subcommand> [options]  (riverwatch dataset help lists them)',
  async run(argv) {
    const subs = await loadSubcommands();
    const [name, ...rest] = argv;
    if (!name || name === 'help') {
      console.log(help(subs));
      return name ? 0 : 2;
    }
    const sub = subs.get(name);
    if (!sub) throw new ConfigError(`unknown subcommand "${name}"\n\n${help(subs)}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      console.log(sub.usage);
      return 0;
    }
    return sub.run(rest);
  },
};
