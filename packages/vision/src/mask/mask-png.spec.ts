import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { InvalidInputError } from '@riverwatch/common';
import { maskFromPng, maskToPng } from './mask-png.ts';
import { createWaterMask } from './water-mask.ts';

describe('mask PNG', () => {
  it('round-trips a mask through a greyscale PNG with 255 = water', async () => {
    const m = createWaterMask(30, 20);
    for (let i = 0; i < m.data.length; i += 3) m.data[i] = 1;
    const png = await maskToPng(m);
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.channels, meta.width, meta.height]).toEqual(['png', 1, 30, 20]);
    const back = await maskFromPng(png);
    expect(Buffer.from(back.data).equals(Buffer.from(m.data))).toBe(true);
  });

  it('reads colour PNGs by grey level (> 127 = water)', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 200, b: 200 } } }).png().toBuffer();
    expect(Array.from((await maskFromPng(png)).data)).toEqual(Array(16).fill(1));
  });

  it('raises InvalidInputError for bytes that are not an image: a corrupt cached mask must not crash the worker', async () => {
    await expect(maskFromPng(Buffer.from('garbage'))).rejects.toBeInstanceOf(InvalidInputError);
  });
});
