import { mkdir, mkdtemp, readFile, rm, symlink, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_RULES } from '@riverwatch/common';
import { maskFromPng, resizeMask, type PredictionsFile } from '@riverwatch/vision';
import { filterDebris } from '../../services/worker/src/pipeline/debris-filter.ts';
import { cli, evalSample, FIXTURE_MODELS } from './support.ts';

/**
 * `riverwatch eval` on a detector says where its false positives lie relative to
 * the water (issue 14, "false alarms on banks"), and "off water" means exactly
 * what the worker's debris filter drops. The fixture detector emits the same
 * boxes on every image, so on the rendered sample most are false positives, some
 * on the river and some on the bank or sky.
 */
interface WaterJson {
  metrics: { precision: number; scoreThreshold: number };
  falsePositives: { total: number; onWater: number; offWater: number; unknown: number; waterSource: string };
  truePositivesOffWater: number;
  keptByWaterMask: { precision: number; detections: number; truePositives: number } | null;
  minWaterOverlap: number;
  segmenter?: { model: string; version: string };
}

const IMAGES = 8;
let repo: string;
let data: string;
let unmasked: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'rw-eval-water-'));
  data = await evalSample();
  for (const [file, format, name, classes] of [
    ['yolov5-static.onnx', 'yolov5', 'debris-fixture', 'bottle,bag'],
    ['segmenter.onnx', 'segmentation', 'water-seg', 'water'],
  ] as const) {
    const res = await cli('models', 'import', join(FIXTURE_MODELS, file), '--format', format, '--name', name, '--classes', classes, '--repository', join(repo, 'models'));
    expect(res.code, res.stderr).toBe(0);
  }
  // The same images and labels without masks/: a user's real photographs.
  unmasked = join(repo, 'photos');
  await mkdir(unmasked);
  await symlink(join(data, 'images'), join(unmasked, 'images'));
  await symlink(join(data, 'labels'), join(unmasked, 'labels'));
  await copyFile(join(data, 'data.yaml'), join(unmasked, 'data.yaml'));
});
afterAll(() => rm(repo, { recursive: true, force: true }));

const detector = () => join(repo, 'models', 'debris-fixture');

async function evalJson(...args: string[]): Promise<WaterJson> {
  const res = await cli('eval', '--model', detector(), '--limit', String(IMAGES), '--threads', '1', '--agnostic', '--json', ...args);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as WaterJson;
}

describe('riverwatch eval: false positives on and off the water', () => {
  it("with the dataset's masks, splits them as the worker's debris filter keeps and drops detections", async () => {
    const file = join(repo, 'predictions.json');
    const out = await evalJson('--data', data, '--save-predictions', file);
    const fp = out.falsePositives;
    expect(fp.waterSource).toBe('dataset-masks');
    expect(fp.unknown).toBe(0);
    expect(fp.onWater).toBeGreaterThan(0);
    expect(fp.offWater).toBeGreaterThan(0);
    expect(fp.onWater + fp.offWater).toBe(fp.total);
    expect(out.minWaterOverlap).toBe(DEFAULT_ALERT_RULES.minWaterOverlap);

    // The worker's own filter on the same detections and masks keeps and drops the same ones.
    const threshold = out.metrics.scoreThreshold;
    const camera = { rules: { ...DEFAULT_ALERT_RULES, minScore: threshold }, zones: { include: [], exclude: [] } };
    let atThreshold = 0;
    let kept = 0;
    const predictions = JSON.parse(await readFile(file, 'utf8')) as PredictionsFile;
    for (const img of predictions.images) {
      const mask = resizeMask(await maskFromPng(await readFile(join(data, 'masks', `${img.id}.png`))), img.width, img.height);
      const dets = img.detections.map((d) => ({ classId: d.class, className: 'object', score: d.score, box: d.box }));
      atThreshold += dets.filter((d) => d.score >= threshold).length;
      kept += filterDebris(dets, mask, camera, img).kept.length;
    }
    expect(out.keptByWaterMask!.detections).toBe(kept);
    expect(fp.offWater + out.truePositivesOffWater).toBe(atThreshold - kept);
    // And the false positives are what precision counts as wrong.
    const truePositives = out.keptByWaterMask!.truePositives + out.truePositivesOffWater;
    expect(truePositives + fp.total).toBe(atThreshold);
    expect(out.metrics.precision).toBeCloseTo(truePositives / atThreshold, 6);
  });

  it('without masks, runs the water segmenter beside the detector; --segmenter none leaves them unknown', async () => {
    const masked = await evalJson('--data', data);
    const segmented = await evalJson('--data', unmasked);
    expect(segmented.falsePositives.waterSource).toBe('segmenter');
    expect(segmented.segmenter).toEqual({ model: 'water-seg', version: '1' });
    expect(segmented.falsePositives.total).toBe(masked.falsePositives.total);
    expect(segmented.falsePositives.unknown).toBe(0);
    expect(segmented.falsePositives.onWater + segmented.falsePositives.offWater).toBe(segmented.falsePositives.total);
    expect(segmented.keptByWaterMask).not.toBeNull();

    const none = await evalJson('--data', unmasked, '--segmenter', 'none');
    expect(none.falsePositives).toMatchObject({ waterSource: 'none', unknown: masked.falsePositives.total, onWater: 0, offWater: 0 });
    expect(none.keptByWaterMask).toBeNull();
  });

  it('prints the split in the text report', async () => {
    const res = await cli('eval', '--model', detector(), '--data', data, '--limit', '2', '--threads', '1', '--agnostic');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/false positives at score >= [\d.]+: \d+, on water \d+, off water \d+, no mask 0/);
    expect(res.stdout).toContain("water from the dataset's masks/");
    expect(res.stdout).toMatch(/precision of the detections the worker keeps: [\d.]+ \(\d+\/\d+\)/);
  });

  it('refuses a segmenter that is not one, and a share outside 0..1, before evaluating', async () => {
    const wrong = await cli('eval', '--model', detector(), '--data', unmasked, '--limit', '1', '--segmenter', detector());
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/debris-fixture is a detect model, not a water segmenter/);
    const share = await cli('eval', '--model', detector(), '--data', data, '--min-water-overlap', '1.5');
    expect(share.code).toBe(2);
    expect(share.stderr).toMatch(/--min-water-overlap must be between 0 and 1/);
  });
});
