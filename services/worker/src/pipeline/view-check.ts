import sharp from 'sharp';

/**
 * A frozen image (the camera keeps sending the same picture) or a covered lens
 * (a nearly uniform image) means the river is not being watched.
 */
export const THUMB_WIDTH = 32;
export const THUMB_HEIGHT = 18;
/** Mean absolute difference (0..255) below which two frames count as identical. */
const FROZEN_DIFF = 0.6;
/** Luminance standard deviation below which the view counts as covered. */
const COVERED_STDDEV = 3;
/** Consecutive identical frames before the view counts as frozen. */
export const FROZEN_FRAMES = 5;

export async function greyThumbnail(frame: Buffer): Promise<Buffer> {
  return sharp(frame).greyscale().resize(THUMB_WIDTH, THUMB_HEIGHT, { fit: 'fill' }).raw().toBuffer();
}

export function meanAbsDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length || a.length === 0) return Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

export function stddev(a: Buffer): number {
  let sum = 0;
  for (const v of a) sum += v;
  const mean = sum / a.length;
  let sq = 0;
  for (const v of a) sq += (v - mean) ** 2;
  return Math.sqrt(sq / a.length);
}

export interface ViewCheck {
  thumb: Buffer;
  frozenFrames: number;
  blocked: boolean;
  reason: 'frozen' | 'covered' | null;
}

export function checkView(thumb: Buffer, previous: Buffer | null, frozenSoFar: number): ViewCheck {
  const frozenFrames = previous && meanAbsDiff(thumb, previous) < FROZEN_DIFF ? frozenSoFar + 1 : 0;
  if (stddev(thumb) < COVERED_STDDEV) return { thumb, frozenFrames, blocked: true, reason: 'covered' };
  if (frozenFrames >= FROZEN_FRAMES) return { thumb, frozenFrames, blocked: true, reason: 'frozen' };
  return { thumb, frozenFrames, blocked: false, reason: null };
}
