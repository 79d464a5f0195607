import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, type ModelConfig } from '@riverwatch/common';
import { preprocess } from '../preprocess/preprocess.ts';
import { preprocessTiles, splitBatch } from './tiled-preprocess.ts';

const input = { name: 'images', dtype: 'UINT8', layout: 'NCHW', width: 64, height: 48, colorOrder: 'RGB', resize: 'letterbox', padValue: 114, normalize: { scale: 1, mean: [0, 0, 0], std: [1, 1, 1] } } as ModelConfig['input'];
const tiling = { enabled: true, tileWidth: 64, tileHeight: 48, overlap: 0.2, fullFrame: true };

/** A lossless 128x96 frame whose red channel is x and green channel is y, so any pixel says where it came from. */
async function gradientPng(w = 128, h = 96): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([x, y, 7], (y * w + x) * 3);
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer();
}

describe('preprocessTiles', () => {
  it('without tiling gives exactly what preprocess gives', async () => {
    const png = await gradientPng();
    const a = await preprocessTiles(png, { input }, null);
    const b = await preprocess(png, { input });
    expect(a.tensor.equals(b.tensor)).toBe(true);
    expect(a.shape).toEqual(b.shape);
    expect(a.plan.tiles).toHaveLength(1);
  });

  it('cuts native-resolution tiles: each tile holds exactly the frame pixels under it, the last input is the whole frame', async () => {
    const batch = await preprocessTiles(await gradientPng(), { input }, tiling);
    const n = batch.plan.tiles.length;
    expect(n).toBe(3 * 3 + 1);
    expect(batch.shape).toEqual([n, 3, 48, 64]);
    const plane = 64 * 48;
    batch.plan.tiles.slice(0, -1).forEach((tile, i) => {
      const base = i * plane * 3;
      for (const [px, py] of [
        [0, 0],
        [63, 47],
        [20, 30],
      ] as const) {
        expect(batch.tensor[base + py * 64 + px]).toBe(tile.x + px); // red = frame x
        expect(batch.tensor[base + plane + py * 64 + px]).toBe(tile.y + py); // green = frame y
      }
    });
    // The whole frame is letterboxed at half scale, 64x48 exactly: its last column is the frame's x ~126.
    const last = (n - 1) * plane * 3;
    expect(batch.tensor[last + 63]).toBeGreaterThanOrEqual(124);
    expect(batch.tensor[last + plane + 47 * 64]).toBeGreaterThanOrEqual(92);
  });

  it('refuses a corrupt frame with InvalidInputError', async () => {
    await expect(preprocessTiles(Buffer.from('not an image'), { input }, tiling)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('splitBatch', () => {
  it('cuts a batch into views of at most maxBatchSize inputs, in order', async () => {
    const batch = await preprocessTiles(await gradientPng(), { input }, tiling);
    const parts = splitBatch(batch, 4);
    expect(parts.map((p) => [p.first, p.shape[0]])).toEqual([
      [0, 4],
      [4, 4],
      [8, 2],
    ]);
    expect(Buffer.concat(parts.map((p) => p.tensor)).equals(batch.tensor)).toBe(true);
  });
});
