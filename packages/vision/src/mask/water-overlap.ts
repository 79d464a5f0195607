import type { WaterMask } from './water-mask.ts';

/**
 * Summed-area table of a mask: (W+1) x (H+1), so any box's water pixel count is
 * four lookups. Cached per mask object (masks are immutable once decoded).
 */
const integrals = new WeakMap<WaterMask, Uint32Array>();

export function maskIntegral(mask: WaterMask): Uint32Array {
  let s = integrals.get(mask);
  if (s) return s;
  const W = mask.width, H = mask.height, S = W + 1;
  s = new Uint32Array(S * (H + 1));
  for (let y = 0; y < H; y++) {
    let row = 0;
    for (let x = 0; x < W; x++) {
      row += mask.data[y * W + x]!;
      s[(y + 1) * S + x + 1] = s[y * S + x + 1]! + row;
    }
  }
  integrals.set(mask, s);
  return s;
}

/** Water pixels in the pixel rectangle [x1, x2) x [y1, y2) (integers, clipped). */
export function waterPixels(mask: WaterMask, x1: number, y1: number, x2: number, y2: number): number {
  const s = maskIntegral(mask);
  const S = mask.width + 1;
  return s[y2 * S + x2]! - s[y1 * S + x2]! - s[y2 * S + x1]! + s[y1 * S + x1]!;
}

/**
 * Share (0..1) of a box's pixels that are water. The box is snapped outward to
 * whole pixels and clipped to the frame; a box entirely off the frame gives 0.
 */
export function boxWaterOverlap(mask: WaterMask, box: readonly number[]): number {
  const x1 = Math.max(0, Math.floor(box[0]!));
  const y1 = Math.max(0, Math.floor(box[1]!));
  const x2 = Math.min(mask.width, Math.max(Math.ceil(box[2]!), x1 + 1));
  const y2 = Math.min(mask.height, Math.max(Math.ceil(box[3]!), y1 + 1));
  if (x2 <= x1 || y2 <= y1) return 0;
  return waterPixels(mask, x1, y1, x2, y2) / ((x2 - x1) * (y2 - y1));
}
