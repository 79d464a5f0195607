import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(ROOT, 'bench/gpu_torch.py');
const MODELS = ['debris-yolov5', 'debris-ssd', 'water-seg'] as const;
/** Largest |PyTorch rebuild - ONNX| allowed per model (boxes are in input pixels, 0..640). */
const TOLERANCE: Record<(typeof MODELS)[number], number> = { 'debris-yolov5': 2e-2, 'debris-ssd': 1e-3, 'water-seg': 1e-2 };

type Report = {
  ok: boolean;
  stage?: string;
  error?: string;
  device?: string;
  models?: Record<string, { check: { reference: string | null; maxAbsDiff?: number }; baseline: { mode: string; batch: number }[] | null; bestOverBaseline?: number; rows: { batch: number; dtype: string; mode: string; calls: number; imagesPerS: number }[]; best: { camerasAt5Fps: number } }>;
};

function gpuTorch(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(PYTHON, [SCRIPT, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...env } });
  const lines = r.stdout.trim().split('\n').filter(Boolean);
  expect(lines, `stdout must be one JSON line; stderr: ${r.stderr}`).toHaveLength(1);
  return { code: r.status, report: JSON.parse(lines[0]!) as Report };
}

type IoMeta = { input: { name: string; shape: number[] }; outputs: { name: string; shape: number[] }[] };

/** What onnxruntime-node (the server's runtime) computes for the input the script saved under io/name. */
async function onnxOutputs(io: string, name: string): Promise<{ meta: IoMeta; outputs: Record<string, Float32Array> }> {
  const dir = join(io, name);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as IoMeta;
  const session = await ort.InferenceSession.create(join(ROOT, 'models', name, '1', 'model.onnx'));
  try {
    const input = new Uint8Array(readFileSync(join(dir, 'input.bin')));
    const result = await session.run({ [meta.input.name]: new ort.Tensor('uint8', input, meta.input.shape) });
    for (const o of meta.outputs) expect([...result[o.name]!.dims]).toEqual(o.shape);
    return { meta, outputs: Object.fromEntries(meta.outputs.map((o) => [o.name, result[o.name]!.data as Float32Array])) };
  } finally {
    await session.release();
  }
}

/**
 * Python's onnxruntime as the lent GPU machines have it, stood in for by a module that answers
 * onnxruntime-node's outputs (written by the test) for the check's input and zeros for the
 * baseline's random batches: the script's compare-and-fail and baseline paths, run here.
 */
const FAKE_ORT = `
import json, os
import numpy as np
__version__ = "test stand-in"
REF = os.environ["FAKE_ORT_REF"]
class InferenceSession:
    def __init__(self, path, providers=None):
        self.dir = os.path.join(REF, os.path.basename(os.path.dirname(os.path.dirname(path))))
        with open(os.path.join(self.dir, "meta.json")) as f:
            self.meta = json.load(f)
    def run(self, names, feeds):
        (x,) = feeds.values()
        outs = self.meta["outputs"] if names is None else [o for n in names for o in self.meta["outputs"] if o["name"] == n]
        if x.shape[0] != 1:
            return [np.zeros([x.shape[0], *o["shape"][1:]], np.float32) for o in outs]
        off = float(os.environ.get("FAKE_ORT_OFFSET", "0"))
        return [np.fromfile(os.path.join(self.dir, o["name"] + ".bin"), np.float32).reshape(o["shape"]) + off for o in outs]
`;

/**
 * bench/gpu_torch.py, the GPU measurement for machines with PyTorch but no Node or network, run
 * here on CPU: the PyTorch rebuild of each shipped model must compute what its model.onnx computes
 * (compared with onnxruntime-node, the runtime the server uses), and bad requests fail clearly.
 */
describe('bench/gpu_torch.py', () => {
  const io = mkdtempSync(join(tmpdir(), 'rw-gpu-torch-'));
  let run: ReturnType<typeof gpuTorch>;
  beforeAll(() => {
    run = gpuTorch(['--device', 'cpu', '--batches', '1,2', '--seconds', '0', '--save-io', io]);
  }, 180_000);
  afterAll(() => rmSync(io, { recursive: true, force: true }));

  it('reports a row per batch for every shipped model', () => {
    expect(run.code).toBe(0);
    expect(run.report.ok).toBe(true);
    expect(Object.keys(run.report.models!)).toEqual([...MODELS]);
    for (const m of MODELS) {
      const { rows, best } = run.report.models![m]!;
      expect(rows.map((r) => [r.batch, r.dtype, r.mode])).toEqual([
        [1, 'fp32', 'eager'],
        [2, 'fp32', 'eager'],
      ]);
      for (const r of rows) expect(r.calls).toBeGreaterThanOrEqual(5);
      expect(best.camerasAt5Fps).toBe(Math.floor(Math.max(...rows.map((r) => r.imagesPerS)) / 5));
    }
  });

  it.each(MODELS)('the PyTorch rebuild of %s computes what its model.onnx computes in onnxruntime-node', async (name) => {
    const { meta, outputs } = await onnxOutputs(io, name);
    for (const o of meta.outputs) {
      const bytes = readFileSync(join(io, name, `${o.name}.bin`));
      const got = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const want = outputs[o.name]!;
      expect(got.length).toBe(want.length);
      let diff = 0;
      for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i]! - want[i]!));
      expect(diff, `${name} ${o.name}`).toBeLessThanOrEqual(TOLERANCE[name]);
    }
  });

  it('with Python onnxruntime present, the script checks against it, fails on a mismatch, and runs the baseline', async () => {
    const fake = join(io, 'fake-ort');
    mkdirSync(join(fake, 'onnxruntime'), { recursive: true });
    writeFileSync(join(fake, 'onnxruntime', '__init__.py'), FAKE_ORT);
    const ref = join(io, 'ref');
    const { meta, outputs } = await onnxOutputs(io, 'water-seg');
    mkdirSync(join(ref, 'water-seg'), { recursive: true });
    writeFileSync(join(ref, 'water-seg', 'meta.json'), JSON.stringify(meta));
    for (const o of meta.outputs) writeFileSync(join(ref, 'water-seg', `${o.name}.bin`), outputs[o.name]!);
    const env = { PYTHONPATH: fake, FAKE_ORT_REF: ref };
    const args = ['--device', 'cpu', '--models', 'water-seg', '--batches', '1,2', '--seconds', '0'];

    const ok = gpuTorch(args, env);
    expect(ok.code).toBe(0);
    const seg = ok.report.models!['water-seg']!;
    expect(seg.check.reference).toBe('onnxruntime test stand-in CPU');
    expect(seg.check.maxAbsDiff).toBeLessThanOrEqual(TOLERANCE['water-seg']);
    expect(seg.baseline!.map((r) => [r.mode, r.batch])).toEqual([
      ['onnxruntime-cpu', 1],
      ['onnxruntime-cpu', 2],
    ]);
    expect(typeof seg.bestOverBaseline).toBe('number'); // its value means nothing against a stand-in

    const off = gpuTorch(args, { ...env, FAKE_ORT_OFFSET: '0.5' });
    expect(off.code).toBe(1);
    expect(off.report).toMatchObject({ ok: false, stage: 'check' });
    expect(off.report.error).toMatch(/^water-seg: the PyTorch rebuild differs from model.onnx by 0\.5/);
  });

  it('--device cuda without a CUDA device exits 3 and says so', () => {
    const r = gpuTorch(['--device', 'cuda', '--models', 'water-seg']);
    expect(r.code).toBe(3);
    expect(r.report).toMatchObject({ ok: false, stage: 'cuda' });
    expect(r.report.error).toMatch(/sees no CUDA device/);
  });

  it('refuses bad arguments before loading anything', () => {
    for (const args of [
      ['--device', 'cpu', '--dtypes', 'fp16'],
      ['--device', 'cpu', '--batches', '0'],
      ['--device', 'cpu', '--batches', 'eight'],
      ['--device', 'cpu', '--dtypes', 'int8'],
    ]) {
      const r = gpuTorch(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.report).toMatchObject({ ok: false, stage: 'arguments' });
    }
  });

  it('a model.onnx of another architecture is refused with a message naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-gpu-torch-model-'));
    try {
      cpSync(join(ROOT, 'models/debris-yolov5/config.json'), join(dir, 'config.json'));
      cpSync(join(ROOT, 'models/debris-ssd/1'), join(dir, '1'), { recursive: true });
      const r = gpuTorch(['--device', 'cpu', '--models', dir, '--seconds', '0']);
      expect(r.code).toBe(2);
      expect(r.report).toMatchObject({ ok: false, stage: 'model' });
      expect(r.report.error).toContain(join(dir, '1', 'model.onnx'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
