import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { evaluateModel, listModelEntries, OnnxModel, readYoloDataset } from '@riverwatch/vision';
import { evalSample, REPO } from './support.ts';

/**
 * Every model shipped in models/ goes through the worker's pre/post-processing:
 * its config.json must describe the ONNX file, and it must find debris (or
 * water) on the rendered eval sample. Accuracy targets are checked on the full
 * eval split by `riverwatch eval` (docs/models.md); the sample is too small for them.
 */
const entries = await listModelEntries(join(REPO, 'models'));

describe.skipIf(entries.length === 0)('shipped models', () => {
  it.each(entries.map((e) => [e.config.name, e] as const))('%s runs on the eval sample', async (_name, entry) => {
    const data = await readYoloDataset(await evalSample());
    data.images = data.images.slice(0, 8);
    const model = await OnnxModel.open(entry.onnxPath, entry.config, { threads: 1 });
    try {
      const r = await evaluateModel(model, data, { warmup: 0 });
      if (r.task === 'detect') {
        expect(r.metrics.images).toBe(8);
        expect(r.metrics.mAP50).toBeGreaterThan(0.05); // far above chance; a broken pre-processing gives ~0
        expect(entry.config.classes).toEqual(expect.arrayContaining(['bottle', 'bag', 'foam', 'can']));
      } else {
        expect(r.metrics.iou).toBeGreaterThan(0.5);
      }
      // A batch of two frames decodes to one result per frame.
      const frames = await Promise.all(data.images.slice(0, 2).map((i) => readFile(i.path)));
      const out = entry.config.task === 'detect' ? await model.detect(frames) : await model.segment(frames);
      expect(out).toHaveLength(2);
    } finally {
      await model.close();
    }
  });
});
