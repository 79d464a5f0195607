import { describe, expect, it } from 'vitest';
import { createWaterMask, type WaterMask } from '../mask/water-mask.ts';
import { evaluateDetections, type GroundTruthImage } from './detection-eval.ts';
import type { ImagePredictions } from './predictions.ts';
import { evaluateWaterPlacement, type WaterMasks } from './water-placement.ts';

type Det = ImagePredictions['detections'][number];
type Box = [number, number, number, number];
const det = (classId: number, score: number, box: Box): Det => ({ classId, score, box });
const names = ['bottle', 'bag'];

/** 20x10 frame: water in columns 0-9, bank in columns 10-19. */
function leftHalfWater(): WaterMask {
  const m = createWaterMask(20, 10);
  for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) m.data[y * 20 + x] = 1;
  return m;
}

function masks(byId: Record<string, WaterMask>): WaterMasks<GroundTruthImage> {
  return { source: 'dataset-masks', maskFor: (img) => Promise.resolve(byId[img.id] ?? null) };
}

const river: GroundTruthImage = {
  id: 'river',
  objects: [
    { classId: 0, box: [2, 2, 6, 6] }, // a bottle on the water
    { classId: 1, box: [14, 2, 18, 6] }, // a bag on the bank
  ],
};

const riverDetections: Det[] = [
  det(0, 0.9, [2, 2, 6, 7]), // finds the bottle (IoU 0.8: a match at 0.5, as precision counts)
  det(0, 0.85, [2, 1, 6, 6]), // the same bottle again: the label is taken, so a false positive on water
  det(1, 0.8, [14, 2, 18, 6]), // finds the bag, which the water rule drops
  det(1, 0.7, [12, 6, 18, 9]), // nothing there, on the bank
  det(0, 0.6, [7, 0, 13, 4]), // nothing there, exactly half on water: kept (the worker's rule is >=)
  det(0, 0.5, [8, 0, 14, 4]), // nothing there, a third on water: dropped
  det(1, 0.1, [12, 2, 18, 8]), // below the score threshold: not counted at all
];

describe('evaluateWaterPlacement', () => {
  it('splits false positives on and off the water with the worker rule and counts the true positives it drops', async () => {
    const r = await evaluateWaterPlacement([river], new Map([['river', riverDetections]]), names, masks({ river: leftHalfWater() }), { scoreThreshold: 0.25 });
    expect(r.falsePositives).toEqual({ total: 4, onWater: 2, offWater: 2, unknown: 0, waterSource: 'dataset-masks' });
    expect(r.truePositivesOffWater).toBe(1);
    // Kept: the bottle (TP), its duplicate and the half-on-water box (FPs).
    expect(r.keptByWaterMask).toEqual({ precision: 0.333333, detections: 3, truePositives: 1 });
    expect(r.minWaterOverlap).toBe(0.5);
  });

  it('counts as false positives exactly what precision counts as wrong', async () => {
    const predictions = new Map([['river', riverDetections]]);
    const metrics = evaluateDetections([river], predictions, names, { scoreThreshold: 0.25 });
    // With no share required the worker keeps everything, so its precision is the evaluator's.
    const r = await evaluateWaterPlacement([river], predictions, names, masks({ river: leftHalfWater() }), { scoreThreshold: 0.25, minWaterOverlap: 0 });
    expect(r.keptByWaterMask!.precision).toBe(metrics.precision);
    expect(r.keptByWaterMask!.detections - r.keptByWaterMask!.truePositives).toBe(r.falsePositives.total);
    expect(r.falsePositives.offWater).toBe(0);
  });

  it('needs the same class unless agnostic', async () => {
    const gt: GroundTruthImage = { id: 'a', objects: [{ classId: 0, box: [2, 2, 6, 6] }] };
    const predictions = new Map([['a', [det(1, 0.9, [2, 2, 6, 6])]]]);
    const water = masks({ a: leftHalfWater() });
    expect((await evaluateWaterPlacement([gt], predictions, names, water, { scoreThreshold: 0.25 })).falsePositives.total).toBe(1);
    expect((await evaluateWaterPlacement([gt], predictions, names, water, { scoreThreshold: 0.25, agnostic: true })).falsePositives.total).toBe(0);
  });

  it('counts false positives of an image without a mask as unknown, and keeps them as the worker does without a mask', async () => {
    const images: GroundTruthImage[] = [river, { id: 'unmasked', objects: [] }];
    const predictions = new Map([
      ['river', riverDetections],
      ['unmasked', [det(0, 0.9, [12, 2, 18, 8])]],
    ]);
    const r = await evaluateWaterPlacement(images, predictions, names, masks({ river: leftHalfWater() }), { scoreThreshold: 0.25 });
    expect(r.falsePositives).toMatchObject({ total: 5, onWater: 2, offWater: 2, unknown: 1 });
    expect(r.keptByWaterMask).toMatchObject({ detections: 4, truePositives: 1 });
  });

  it('has no kept precision when no image has water', async () => {
    const none: WaterMasks<GroundTruthImage> = { source: 'none', maskFor: () => Promise.resolve(null) };
    const r = await evaluateWaterPlacement([river], new Map([['river', riverDetections]]), names, none, { scoreThreshold: 0.25 });
    expect(r.falsePositives).toEqual({ total: 4, onWater: 0, offWater: 0, unknown: 4, waterSource: 'none' });
    expect(r.keptByWaterMask).toBeNull();
    expect(r.truePositivesOffWater).toBe(0);
  });

  it('refuses a share outside 0..1', async () => {
    await expect(evaluateWaterPlacement([river], new Map(), names, masks({}), { scoreThreshold: 0.25, minWaterOverlap: 1.5 })).rejects.toThrow(/between 0 and 1/);
  });
});
