import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { InvalidInputError } from '@riverwatch/common';
import { parseDataYaml, parseYoloLabels, readYoloDataset } from './yolo-dataset.ts';
import { evaluateMasks } from './segmentation-eval.ts';
import { createWaterMask } from '../mask/water-mask.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'rw-yolo-'));
  for (const d of ['images', 'labels', 'masks']) await mkdir(join(root, d));
  await writeFile(join(root, 'data.yaml'), 'path: .\nnames:\n  1: bag\n  0: bottle\nnc: 2\n');
  const img = sharp({ create: { width: 200, height: 100, channels: 3, background: '#204060' } });
  await img.clone().jpeg().toFile(join(root, 'images', '000002.jpg'));
  await img.clone().png().toFile(join(root, 'images', '000001.png'));
  await writeFile(join(root, 'images', 'notes.txt'), 'not an image');
  await writeFile(join(root, 'labels', '000002.txt'), '1 0.5 0.5 0.1 0.2\n\n0 0.25 0.25 0.5 0.5\n');
  await sharp({ create: { width: 200, height: 100, channels: 3, background: '#ffffff' } }).png().toFile(join(root, 'masks', '000002.png'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('YOLO dataset reader', () => {
  it('reads images sorted by name, pixel boxes from normalised labels, masks and names', async () => {
    const ds = await readYoloDataset(root);
    expect(ds.names).toEqual(['bottle', 'bag']);
    expect(ds.images.map((i) => [i.id, i.width, i.height, i.objects.length, !!i.maskPath])).toEqual([
      ['000001', 200, 100, 0, false],
      ['000002', 200, 100, 2, true],
    ]);
    const first = ds.images[1]!.objects[0]!;
    expect(first.classId).toBe(1);
    first.box.forEach((v, i) => expect(v).toBeCloseTo([90, 40, 110, 60][i]!, 9));
  });

  it('accepts names as a list', () => {
    expect(parseDataYaml('names: [a, b, c]').names).toEqual(['a', 'b', 'c']);
  });

  it('says what is missing for a folder that is not a dataset', async () => {
    await expect(readYoloDataset(join(root, 'labels'))).rejects.toThrow(/no images\/ folder/);
    await expect(readYoloDataset(join(root, 'nope'))).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('refuses a malformed label line instead of silently dropping an object', () => {
    expect(() => parseYoloLabels('0 0.5 oops 0.1 0.1', 10, 10)).toThrow(/bad YOLO label line/);
  });
});

describe('evaluateMasks', () => {
  it('pools IoU over pixels and averages per-image IoU (both empty = 1)', () => {
    const a = createWaterMask(10, 1, Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]));
    const b = createWaterMask(10, 1, Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]));
    const empty = createWaterMask(10, 1);
    const r = evaluateMasks([{ pred: a, truth: b }, { pred: empty, truth: empty }]);
    expect(r).toEqual({ iou: 0.5, meanIoU: 0.75, images: 2 });
  });

  it('resizes a prediction to the ground truth resolution', () => {
    const pred = createWaterMask(5, 1, Uint8Array.from([1, 1, 0, 0, 0]));
    const truth = createWaterMask(10, 1, Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]));
    expect(evaluateMasks([{ pred, truth }]).iou).toBe(1);
  });
});
