import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const CUDA_PROVIDER = join(ROOT, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so');
const noCudaProvider = !existsSync(CUDA_PROVIDER);
const fakes = mkdtempSync(join(tmpdir(), 'rw-gpu-check-'));

/** PATH without any real nvidia-smi, plus `extra` first. */
function pathWith(extra?: string): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d && !existsSync(join(d, 'nvidia-smi')));
  return [...(extra ? [extra] : []), ...dirs].join(delimiter);
}

/** A fake nvidia-smi in its own directory: prints `out`, exits `code`. */
function fakeSmi(name: string, out: string, code = 0): string {
  const dir = join(fakes, name);
  spawnSync('mkdir', ['-p', dir]);
  writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh\necho '${out}'\nexit ${code}\n`);
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

function gpuCheck(env: Record<string, string>) {
  const r = spawnSync('bash', [join(ROOT, 'bench/gpu-check.sh')], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 180_000 });
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  expect(lines, `stdout must be one JSON line; stderr: ${r.stderr}`).toHaveLength(1);
  return { code: r.status, json: JSON.parse(lines[0]!) as { ok: boolean; stage?: string; error?: string }, stderr: r.stderr };
}

/**
 * bench/gpu-check.sh and `bench:inference --provider cuda` on a machine without a GPU (this
 * one): each failure is a clear message, a non-zero exit and, for the script, one JSON line.
 * The GPU path itself needs a GPU (docs/benchmarks.md, "GPU readiness").
 */
describe('GPU readiness on a machine without one', () => {
  afterAll(() => rmSync(fakes, { recursive: true, force: true }));

  it('gpu-check.sh without nvidia-smi says so and exits 2', () => {
    const r = gpuCheck({ PATH: pathWith() });
    expect(r.code).toBe(2);
    expect(r.json).toEqual({ ok: false, stage: 'gpu', error: 'nvidia-smi not found: this check needs a machine with an NVIDIA GPU and its driver' });
  });

  it('gpu-check.sh with an nvidia-smi that sees no GPU says so and exits 2', () => {
    const r = gpuCheck({ PATH: pathWith(fakeSmi('none', 'No devices were found', 6)) });
    expect(r.code).toBe(2);
    expect(r.json.stage).toBe('gpu');
    expect(r.json.error).toMatch(/nvidia-smi found no usable GPU: No devices were found/);
  });

  it.skipIf(!noCudaProvider)('bench:inference --provider cuda fails clearly when the CUDA provider cannot be loaded', () => {
    const r = spawnSync('npx', ['tsx', 'bench/inference.ts', '--provider', 'cuda', '--json', '--seconds', '0.2', '--rounds', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe(''); // no figures: nothing was measured on the CPU under the CUDA label
    expect(r.stderr).toMatch(/bench:inference: --provider cuda: onnxruntime's CUDA execution provider is unavailable: .*bench\/gpu-check\.sh installs it/);
  });

  it.skipIf(!noCudaProvider)('gpu-check.sh relays that failure as its JSON line (a GPU seen, nothing installed) and exits 3', () => {
    const r = gpuCheck({ PATH: pathWith(fakeSmi('one', 'NVIDIA Test GPU, 550.54, 81559 MiB')), GPU_CHECK_SKIP_INSTALL: '1', GPU_CHECK_SECONDS: '0.2', GPU_CHECK_ROUNDS: '1' });
    expect(r.stderr).toMatch(/gpu-check: GPU: NVIDIA Test GPU/);
    expect(r.code).toBe(3);
    expect(r.json.stage).toBe('cuda');
    expect(r.json.error).toMatch(/^--provider cuda: onnxruntime's CUDA execution provider is unavailable/);
  });
});
