/** A binary water mask at frame size: data[y * width + x] is 1 on water, 0 elsewhere. */
export interface WaterMask {
  width: number;
  height: number;
  data: Uint8Array;
}

export function createWaterMask(width: number, height: number, data?: Uint8Array): WaterMask {
  if (data && data.length !== width * height) throw new RangeError(`mask data has ${data.length} values, expected ${width}x${height}`);
  return { width, height, data: data ?? new Uint8Array(width * height) };
}

/** Share of the frame that is water (0..1). */
export function waterShare(mask: WaterMask): number {
  const { data } = mask;
  if (data.length === 0) return 0;
  let n = 0;
  for (let i = 0; i < data.length; i++) n += data[i]!;
  return n / data.length;
}

/** Nearest-neighbour resize, for a cached mask reused on frames of another size. */
export function resizeMask(mask: WaterMask, width: number, height: number): WaterMask {
  if (mask.width === width && mask.height === height) return mask;
  const out = new Uint8Array(width * height);
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
    const row = sy * mask.width;
    for (let x = 0; x < width; x++) out[y * width + x] = mask.data[row + xs[x]!]!;
  }
  return { width, height, data: out };
}
