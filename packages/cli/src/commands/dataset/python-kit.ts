import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@riverwatch/common';

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
