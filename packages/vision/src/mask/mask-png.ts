import sharp from 'sharp';
import { InvalidInputError } from '@riverwatch/common';
import type { WaterMask } from './water-mask.ts';

/** Greyscale PNG, 255 = water (the training kit's masks/ layout). */
export async function maskToPng(mask: WaterMask): Promise<Buffer> {
  const grey = Buffer.allocUnsafe(mask.data.length);
  for (let i = 0; i < mask.data.length; i++) grey[i] = mask.data[i] ? 255 : 0;
  return sharp(grey, { raw: { width: mask.width, height: mask.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
}

/** Any image; a pixel is water when its grey value is above 127. */
export async function maskFromPng(png: Uint8Array): Promise<WaterMask> {
  try {
    const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
    const out = new Uint8Array(info.width * info.height);
    const ch = info.channels;
    for (let i = 0; i < out.length; i++) out[i] = data[i * ch]! > 127 ? 1 : 0;
    return { width: info.width, height: info.height, data: out };
  } catch (err) {
    throw new InvalidInputError(`water mask is not a decodable image: ${(err as Error).message}`);
  }
}
