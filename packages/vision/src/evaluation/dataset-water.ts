import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '@riverwatch/common';
import { maskFromPng } from '../mask/mask-png.ts';
import { resizeMask } from '../mask/water-mask.ts';
import type { OnnxModel } from '../runtime/onnx-model.ts';
import type { WaterMasks } from './water-placement.ts';
import type { DatasetImage, YoloDataset } from './yolo-dataset.ts';

export function hasDatasetMasks(dataset: YoloDataset): boolean {
  return dataset.images.some((img) => img.maskPath !== undefined);
}

/**
 * The water of a dataset's images for an evaluation: its labelled masks/ when it
 * has any (images without one have no water), else the segmenter run on each image
 * as the worker runs it, else none. Labelled and predicted water are never mixed
 * in one report.
 */
export function datasetWaterMasks(dataset: YoloDataset, segmenter: OnnxModel | null): WaterMasks<DatasetImage> {
  if (hasDatasetMasks(dataset)) {
    return {
      source: 'dataset-masks',
      async maskFor(img) {
        if (!img.maskPath) return null;
        const mask = await maskFromPng(await readFile(img.maskPath));
        // A mask of another size is stretched onto the image, as the worker does with a cached mask.
        return resizeMask(mask, img.width, img.height);
      },
    };
  }
  if (segmenter) {
    if (segmenter.config.task !== 'segment') throw new InvalidInputError(`the segmenter ${segmenter.config.name} is a ${segmenter.config.task} model, not a water segmenter`);
    return {
      source: 'segmenter',
      async maskFor(img) {
        const [mask] = await segmenter.segment([await readFile(img.path)]);
        return resizeMask(mask!, img.width, img.height);
      },
    };
  }
  return { source: 'none', maskFor: () => Promise.resolve(null) };
}
