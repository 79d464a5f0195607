// Helpers for the vision integration tests: the eval sample, the Python kit, and the CLI in-process.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { main } from '../../packages/cli/src/main.ts';

export const REPO = new URL('../../', import.meta.url).pathname;
export const PYTHON = '/usr/bin/python3';
export const FIXTURE_MODELS = join(REPO, 'test/fixtures/vision-models');
const run = promisify(execFile);

/** The committed eval sample, or (until it is committed) 12 images rendered into a temp dir. */
export async function evalSample(): Promise<string> {
  const committed = join(REPO, 'test/fixtures/eval-sample');
  if (existsSync(join(committed, 'data.yaml'))) return committed;
  const out = await mkdtemp(join(tmpdir(), 'rw-eval-sample-'));
  await run(PYTHON, [join(REPO, 'training/render.py'), '--split', 'eval', '--count', '12', '--out', out]);
  return out;
}

/** training/evaluate.py's JSON for the given arguments. */
export async function pythonEvaluate(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(PYTHON, [join(REPO, 'training/evaluate.py'), ...args], { maxBuffer: 16 << 20 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Runs `riverwatch ...` in this process and captures what it prints. */
export async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** A small deterministic PRNG (mulberry32), so synthetic predictions are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
