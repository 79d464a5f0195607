import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError } from '@riverwatch/common';
import type { CliCommand } from '../../main.ts';

/** The repository's training/ folder, resolved from this file so the CLI works from any cwd. */
export const TRAINING_DIR = fileURLToPath(new URL('../../../../../training/', import.meta.url));

/** Debian's python has the kit's dependencies (torch, cv2, numpy); override with RIVERWATCH_PYTHON. */
export const PYTHON = process.env.RIVERWATCH_PYTHON ?? '/usr/bin/python3';

/** Runs a training-kit script with inherited stdio; resolves to its exit code. */
export function runKitScript(script: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [TRAINING_DIR + script, ...args], { stdio: 'inherit' });
    child.on('error', (err) => reject(new ConfigError(`cannot run ${PYTHON} ${script}: ${err.message}`)));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

export interface KitScriptCommand {
  name: string;
  summary: string;
  usage: string;
  script: string;
  /** The script's flag each positional argument becomes, in order; the first `required` must be given. */
  positionals: { flags: string[]; required: number; names: string };
  /** Options passed on to the script under the same name: with a value, or as a bare flag. */
  strings?: string[];
  booleans?: string[];
}

/** A `riverwatch dataset` subcommand that only hands its arguments to a training-kit script. */
export function kitScriptCommand(spec: KitScriptCommand): CliCommand {
  const { flags, required, names } = spec.positionals;
  const options = Object.fromEntries([
    ...(spec.strings ?? []).map((k) => [k, { type: 'string' as const }]),
    ...(spec.booleans ?? []).map((k) => [k, { type: 'boolean' as const, default: false }]),
  ]);
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    async run(argv) {
      const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options });
      if (positionals.length < required || positionals.length > flags.length) throw new ConfigError(`expected ${names}\n\n${spec.usage}`);
      const args = positionals.flatMap((p, i) => [flags[i]!, p]);
      for (const [k, v] of Object.entries(values)) {
        if (typeof v === 'string') args.push(`--${k}`, v);
        else if (v === true) args.push(`--${k}`);
      }
      return runKitScript(spec.script, args);
    },
  };
}
