import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, evalSample, FIXTURE_MODELS } from './support.ts';

let repo: string;
let data: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'rw-compare-'));
  data = await evalSample();
  for (const [file, format, name] of [['yolov5-static.onnx', 'yolov5', 'a-yolo'], ['ssd.onnx', 'ssd', 'b-ssd'], ['segmenter.onnx', 'segmentation', 'c-water']]) {
    const res = await cli('models', 'import', join(FIXTURE_MODELS, file!), '--format', format!, '--name', name!, '--classes', format === 'segmentation' ? 'water' : 'bottle,bag', '--repository', repo);
    expect(res.code).toBe(0);
  }
});
afterAll(() => rm(repo, { recursive: true, force: true }));

describe('riverwatch compare', () => {
  it('evaluates every detector (not the segmenter) on one dataset, with the same figures as eval', async () => {
    const res = await cli('compare', '--data', data, '--repository', repo, '--limit', '6', '--threads', '1', '--json');
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout) as { models: { model: string; format: string; metrics: { mAP50: number; images: number }; latency: { meanMs: number; images: number } }[] };
    expect(out.models.map((m) => [m.model, m.format])).toEqual([['a-yolo', 'yolov5'], ['b-ssd', 'ssd']]);
    for (const m of out.models) {
      expect(m.metrics.images).toBe(6);
      expect(m.latency.images).toBe(6);
      expect(m.latency.meanMs).toBeGreaterThan(0);
    }
    const single = await cli('eval', '--model', join(repo, 'b-ssd'), '--data', data, '--limit', '6', '--threads', '1', '--json');
    expect(JSON.parse(single.stdout).metrics).toEqual((out.models[1] as { metrics: unknown }).metrics);
  });

  it('writes a Markdown table and the command into the marked section of a doc', async () => {
    const doc = join(repo, 'models.md');
    await writeFile(doc, '# Models\n\n<!-- compare:start -->\nold\n<!-- compare:end -->\n\ntail\n');
    const res = await cli('compare', '--data', data, '--repository', repo, '--limit', '2', '--threads', '1', '--write', doc);
    expect(res.code).toBe(0);
    const text = await readFile(doc, 'utf8');
    expect(text).not.toContain('old');
    expect(text).toMatch(/\| a-yolo v1 \| yolov5 \| 64x64 FP32 \|/);
    expect(text).toMatch(/\| b-ssd v1 \| ssd \|/);
    expect(text).toContain(`riverwatch compare --data ${data} --repository ${repo} --limit 2 --threads 1`);
    expect(text.endsWith('\ntail\n')).toBe(true);
  });

  it('says so when the repository has no detectors', async () => {
    const res = await cli('compare', '--data', data, '--repository', join(repo, 'c-water'));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/no detectors in/);
  });
});
