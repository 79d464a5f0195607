import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { InvalidInputError } from '@riverwatch/common';
import { computeTransform } from '../preprocess/frame-transform.ts';
import { preprocess } from '../preprocess/preprocess.ts';
import { tensor } from '../decode/test-tensors.ts';
import { decodeDetections } from '../decode/decode-detections.ts';
import { VisionThreads } from './vision-threads.ts';

const threads = new VisionThreads(1);
afterAll(() => threads.close());

const input = { name: 'images', dtype: 'FP16' as const, layout: 'NCHW' as const, width: 32, height: 32, colorOrder: 'RGB' as const, resize: 'letterbox' as const, normalize: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] } };

describe('VisionThreads', () => {
  it('preprocesses in a thread to the same bytes as in-process', async () => {
    const frame = await sharp({ create: { width: 64, height: 40, channels: 3, background: '#3366aa' } }).png().toBuffer();
    const [a, b] = await Promise.all([threads.preprocess(frame, { input }), preprocess(frame, { input })]);
    expect(Buffer.isBuffer(a.tensor)).toBe(true);
    expect(a.tensor.equals(b.tensor)).toBe(true);
    expect(a.transform).toEqual(b.transform);
  });

  it('decodes detections and water masks in a thread', async () => {
    const t = computeTransform(64, 32, { width: 32, height: 32, resize: 'letterbox' });
    const config = { format: 'yolov5' as const, classes: ['bottle'], thresholds: { score: 0.25, iou: 0.45 } };
    const outputs = [tensor('output0', [1, 1, 6], [16, 16, 8, 8, 0.9, 0.9])];
    expect(await threads.decodeDetections(outputs, config, [t])).toEqual(decodeDetections(outputs, config, [t]));
    const mask = await threads.decodeWaterMask([tensor('logits', [1, 1, 32, 32], Array(1024).fill(2))], { thresholds: { score: 0.5, iou: 0 } }, t);
    expect([mask.width, mask.height, mask.data.every((v) => v === 1)]).toEqual([64, 32, true]);
  });

  it('keeps InvalidInputError across the thread boundary, so the worker still fails corrupt frames without retries', async () => {
    await expect(threads.preprocess(Buffer.from('not an image'), { input })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
