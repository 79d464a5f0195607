import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { InvalidInputError, type ModelConfig } from '@riverwatch/common';
import { decodeFrame, decodeRgb } from './frame.ts';
import { preprocess, preprocessBatch } from './preprocess.ts';

const config: Pick<ModelConfig, 'input'> = {
  input: { name: 'images', dtype: 'FP32', layout: 'NCHW', width: 32, height: 32, colorOrder: 'RGB', resize: 'letterbox', padValue: 114, normalize: { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } },
};
const solid = (w: number, h: number, c: { r: number; g: number; b: number }) => sharp({ create: { width: w, height: h, channels: 3, background: c } }).png().toBuffer();

describe('decodeFrame', () => {
  it('reads size and format', async () => {
    expect(await decodeFrame(await solid(64, 36, { r: 1, g: 2, b: 3 }))).toEqual({ width: 64, height: 36, format: 'png' });
  });

  it('raises InvalidInputError for empty and non-image bytes, never a generic error', async () => {
    await expect(decodeFrame(Buffer.alloc(0))).rejects.toBeInstanceOf(InvalidInputError);
    await expect(decodeFrame(Buffer.from('not a jpeg at all'))).rejects.toThrow(/not a decodable image/);
  });

  it('catches a truncated JPEG on full decode', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).jpeg().toBuffer();
    await expect(decodeRgb(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('preprocess', () => {
  it('letterboxes a wide frame: image band in the middle, pad value above and below', async () => {
    const { tensor, shape, transform } = await preprocess(await solid(64, 32, { r: 200, g: 100, b: 50 }), config);
    expect(shape).toEqual([1, 3, 32, 32]);
    expect([transform.padX, transform.padY, transform.resizedWidth, transform.resizedHeight]).toEqual([0, 8, 32, 16]);
    const f = new Float32Array(tensor.buffer, tensor.byteOffset, 3 * 32 * 32);
    const at = (c: number, y: number, x: number) => f[c * 1024 + y * 32 + x];
    expect([at(0, 0, 5), at(1, 31, 5)]).toEqual([114, 114]); // padding rows
    expect([at(0, 16, 16), at(1, 16, 16), at(2, 16, 16)]).toEqual([200, 100, 50]); // image rows
  });

  it('stretches without padding when the model says so', async () => {
    const { transform } = await preprocess(await solid(64, 32, { r: 0, g: 0, b: 0 }), { input: { ...config.input, resize: 'stretch' } });
    expect([transform.padX, transform.padY, transform.scaleX, transform.scaleY]).toEqual([0, 0, 0.5, 1]);
  });

  it('batches frames of different sizes with one transform each', async () => {
    const batch = await preprocessBatch([await solid(64, 32, { r: 9, g: 9, b: 9 }), await solid(20, 40, { r: 1, g: 1, b: 1 })], config);
    expect(batch.shape).toEqual([2, 3, 32, 32]);
    expect(batch.tensor.length).toBe(2 * 3 * 32 * 32 * 4);
    expect(batch.transforms.map((t) => [t.frameWidth, t.padX, t.padY])).toEqual([[64, 0, 8], [20, 8, 0]]);
  });

  it('accepts greyscale and RGBA frames as three-channel input', async () => {
    const grey = await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 90, g: 90, b: 90 } } }).greyscale().jpeg().toBuffer();
    const rgba = await sharp({ create: { width: 32, height: 32, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
    for (const frame of [grey, rgba]) {
      const { tensor } = await preprocess(frame, config);
      expect(tensor.length).toBe(3 * 32 * 32 * 4);
    }
    const f = (await preprocess(grey, config)).tensor;
    const v = new Float32Array(f.buffer, f.byteOffset, 3 * 1024);
    expect(Math.abs(v[0 * 1024 + 500]! - v[2 * 1024 + 500]!)).toBeLessThan(1); // grey stays grey in every channel
  });

  it('rejects corrupt frames with InvalidInputError so the job fails without retries', async () => {
    await expect(preprocess(Buffer.from([0xff, 0xd8, 0xff, 0x00, 0x01]), config)).rejects.toBeInstanceOf(InvalidInputError);
  });
});
