import sharp from 'sharp';
import { HttpError } from '../http-error.ts';

export type ImageKind = 'jpeg' | 'png';

/** JPEG or PNG by magic bytes: the content-type header is a claim, the bytes are the fact. */
export function sniffImage(bytes: Buffer): ImageKind | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  return null;
}

/** Width and height of an uploaded image; 415 when it is not JPEG/PNG, 400 when it cannot be read. */
export async function readUploadedImage(bytes: Buffer): Promise<{ kind: ImageKind; width: number; height: number }> {
  if (!bytes.length) throw new HttpError(400, 'the request has no image: send JPEG or PNG bytes as the body or as a multipart file');
  const kind = sniffImage(bytes);
  if (!kind) throw new HttpError(415, 'only JPEG and PNG images are accepted');
  try {
    const meta = await sharp(bytes, { failOn: 'error' }).metadata();
    if (!meta.width || !meta.height) throw new Error('no dimensions');
    return { kind, width: meta.width, height: meta.height };
  } catch {
    throw new HttpError(400, `the ${kind.toUpperCase()} image is damaged or truncated and cannot be read`);
  }
}
