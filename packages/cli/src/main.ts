import { readdir } from 'node:fs/promises';
import { ConfigError, DependencyUnavailableError } from '@riverwatch/common';

/** One subcommand of `riverwatch`: a module in ./commands exporting `command`. */
export interface CliCommand {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

async function loadCommands(): Promise<Map<string, CliCommand>> {
  const dir = new URL('./commands/', import.meta.url);
  const commands = new Map<string, CliCommand>();
  for (const file of (await readdir(dir)).sort()) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const mod = (await import(new URL(file, dir).href)) as { command?: CliCommand };
    if (mod.command) commands.set(mod.command.name, mod.command);
  }
  return commands;
}

function help(commands: Map<string, CliCommand>): string {
  const lines = ['usage: riverwatch <command> [options]', '', 'commands:'];
  for (const c of commands.values()) lines.push(`  ${c.name.padEnd(10)} ${c.summary}`);
  lines.push('', 'riverwatch <command> --help for its options');
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help(commands));
    return name ? 0 : 2;
  }
  const command = commands.get(name);
  if (!command) {
    console.error(`riverwatch: unknown command "${name}"\n\n${help(commands)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof DependencyUnavailableError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`riverwatch ${name}: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
}
