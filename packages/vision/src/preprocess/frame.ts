import sharp from 'sharp';
import { InvalidInputError } from '@riverwatch/common';

export interface FrameInfo {
  width: number;
  height: number;
  format: string;
}

/** Frames larger than this are refused: no river camera sends them, a corrupt header might claim them. */
export const MAX_FRAME_PIXELS = 8192 * 8192;

/** Reads a frame's size and checks it is an image sharp can decode; corrupt bytes raise InvalidInputError. */
export async function decodeFrame(bytes: Uint8Array): Promise<FrameInfo> {
  if (!bytes || bytes.byteLength === 0) throw new InvalidInputError('frame is empty (0 bytes)');
  let meta: sharp.Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: MAX_FRAME_PIXELS }).metadata();
  } catch (err) {
    throw new InvalidInputError(`frame is not a decodable image (${bytes.byteLength} bytes): ${(err as Error).message}`);
  }
  const { width, height, format } = meta;
  if (!width || !height || !format) throw new InvalidInputError(`frame has no usable size (${bytes.byteLength} bytes, format ${format ?? 'unknown'})`);
  return { width, height, format };
}

export interface RgbImage {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB, row-major. */
  data: Buffer;
}

/** Decodes fully to RGB; catches truncated JPEGs that a header read misses. */
export async function decodeRgb(bytes: Uint8Array): Promise<RgbImage> {
  await decodeFrame(bytes);
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_FRAME_PIXELS, failOn: 'error' })
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data };
  } catch (err) {
    throw new InvalidInputError(`frame could not be decoded: ${(err as Error).message}`);
  }
}
