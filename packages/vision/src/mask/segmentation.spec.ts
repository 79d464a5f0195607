import { describe, expect, it } from 'vitest';
import { computeTransform } from '../preprocess/frame-transform.ts';
import { tensor } from '../decode/test-tensors.ts';
import { decodeSegmentation, decodeWaterMask } from './segmentation.ts';
import { waterShare } from './water-mask.ts';

// A 40x20 frame letterboxed into 8x8: the image band is rows 2..5 of the model input.
const t = computeTransform(40, 20, { width: 8, height: 8, resize: 'letterbox' });
/** Model-space scores: `water` where the column is < 4 (left half), `dry` elsewhere; padding rows say water too. */
const plane = (water: number, dry: number) => Array.from({ length: 64 }, (_, i) => (i % 8 < 4 || i < 16 || i >= 48 ? water : dry));

describe('decodeSegmentation', () => {
  it('thresholds one-channel logits at 0 and undoes the letterbox', () => {
    const [mask] = decodeSegmentation([tensor('logits', [1, 1, 8, 8], plane(3, -3))], [t]);
    expect([mask!.width, mask!.height]).toEqual([40, 20]);
    expect(waterShare(mask!)).toBeCloseTo(0.5, 1);
    expect(mask!.data[10 * 40 + 5]).toBe(1); // left half is water
    expect(mask!.data[10 * 40 + 35]).toBe(0); // right half is not; padding rows were never sampled
  });

  it('reads probabilities when every value is in [0,1] and thresholds at 0.5', () => {
    const [mask] = decodeSegmentation([tensor('prob', [1, 1, 8, 8], plane(0.8, 0.2))], [t]);
    expect(mask!.data[10 * 40 + 5]).toBe(1);
    expect(mask!.data[10 * 40 + 35]).toBe(0);
  });

  it('treats an output named logits as logits even when its values happen to lie in [0,1]', () => {
    const [mask] = decodeSegmentation([tensor('logits', [1, 1, 8, 8], plane(0.4, 0.1))], [t]);
    expect(waterShare(mask!)).toBe(1); // sigmoid(0.1) > 0.5
  });

  it('takes channel 1 as water in two-channel outputs', () => {
    const two = [...plane(0, 5), ...plane(5, 0)]; // channel 0 = other, channel 1 = water
    const [mask] = decodeSegmentation([tensor('logits', [1, 2, 8, 8], two, 'FP16')], [t]);
    expect(mask!.data[10 * 40 + 5]).toBe(1);
    expect(mask!.data[10 * 40 + 35]).toBe(0);
  });

  it('samples low-resolution outputs (a stride below the input size)', () => {
    const [mask] = decodeSegmentation([tensor('logits', [1, 1, 4, 4], Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? 2 : -2)))], [t]);
    expect(mask!.data[10 * 40 + 2]).toBe(1);
    expect(mask!.data[10 * 40 + 38]).toBe(0);
  });

  it('refuses three channels: which one is water would be a guess', () => {
    expect(() => decodeSegmentation([tensor('logits', [1, 3, 8, 8], [])], [t])).toThrow(/3 channels, expected 1 \(water\) or 2/);
  });

  it('decodeWaterMask gives one frame-size mask and resizes on request', () => {
    const out = [tensor('logits', [1, 1, 8, 8], plane(3, -3))];
    expect(decodeWaterMask(out, { thresholds: { score: 0.5, iou: 0 } }, t).width).toBe(40);
    const small = decodeWaterMask(out, { thresholds: { score: 0.5, iou: 0 } }, t, 20, 10);
    expect([small.width, small.height, small.data[5 * 20 + 2], small.data[5 * 20 + 18]]).toEqual([20, 10, 1, 0]);
  });
});
