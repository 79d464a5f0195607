import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '@riverwatch/common';
import { float16BitsToFloat32 } from '../tensor/float16.ts';
import { inputShape, packTensor } from './pack-tensor.ts';

const input = (over: Partial<ModelConfig['input']> = {}): ModelConfig['input'] => ({
  name: 'images', dtype: 'FP32', layout: 'NCHW', width: 2, height: 1, colorOrder: 'RGB', resize: 'letterbox',
  normalize: { scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] }, ...over,
});
// Two pixels: (10, 20, 30) and (40, 50, 60).
const rgb = Uint8Array.from([10, 20, 30, 40, 50, 60]);
const f32 = (b: Buffer) => Array.from(new Float32Array(b.buffer, b.byteOffset, b.length / 4));

describe('packTensor', () => {
  it('writes NCHW planes scaled to 0..1', () => {
    const out = f32(packTensor(rgb, input()));
    expect(out.map((v) => Math.round(v * 255))).toEqual([10, 40, 20, 50, 30, 60]);
  });

  it('writes NHWC and swaps to BGR', () => {
    const out = f32(packTensor(rgb, input({ layout: 'NHWC', colorOrder: 'BGR' })));
    expect(out.map((v) => Math.round(v * 255))).toEqual([30, 20, 10, 60, 50, 40]);
  });

  it('applies mean and std per model channel', () => {
    const out = f32(packTensor(rgb, input({ normalize: { scale: 1, mean: [10, 20, 30], std: [2, 4, 5] } })));
    expect(out).toEqual([0, 15, 0, 7.5, 0, 6]);
  });

  it('reads a scale above 1 as a divisor (255 and 1/255 give the same tensor)', () => {
    expect(f32(packTensor(rgb, input({ normalize: { scale: 255, mean: [0, 0, 0], std: [1, 1, 1] } })))).toEqual(f32(packTensor(rgb, input())));
  });

  it('writes fp16 and uint8 inputs', () => {
    const h = packTensor(rgb, input({ dtype: 'FP16' }));
    const halves = Array.from(new Uint16Array(h.buffer, h.byteOffset, 6), float16BitsToFloat32);
    expect(halves.map((v) => Math.round(v * 255))).toEqual([10, 40, 20, 50, 30, 60]);
    expect(Array.from(packTensor(rgb, input({ dtype: 'UINT8', layout: 'NHWC' })))).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('refuses an image of the wrong size: a mis-sized buffer would shift every pixel', () => {
    expect(() => packTensor(rgb.subarray(0, 3), input())).toThrow(/expected 6 bytes/);
  });

  it('gives the batch shape per layout', () => {
    expect(inputShape(input(), 4)).toEqual([4, 3, 1, 2]);
    expect(inputShape(input({ layout: 'NHWC' }))).toEqual([1, 1, 2, 3]);
  });
});
