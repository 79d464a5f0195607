import { describe, expect, it } from 'vitest';
import type { WaterMask } from '@riverwatch/vision';
import { DecodedMasks } from './decoded-masks.ts';

let pngReads = 0;
/** What Redis describes, and the loader of its PNG (counted: the PNG should cross Redis only to be decoded). */
const stored = (at: number, version = '1', width = 4, height = 2, uses = 1) =>
  [
    { at, version, width, height, uses },
    async () => {
      pngReads++;
      return new Uint8Array([at]);
    },
  ] as const;

function counting() {
  let decodes = 0;
  const decode = async (png: Uint8Array): Promise<WaterMask> => {
    decodes++;
    return { width: 4, height: 2, data: new Uint8Array(8).fill(png[0]!) };
  };
  return { decode, count: () => decodes };
}

describe('DecodedMasks', () => {
  it('decodes a camera mask once and reuses the same object while Redis holds the same mask', async () => {
    const d = counting();
    const masks = new DecodedMasks(8, d.decode);
    const a = await masks.get('cam', ...stored(10));
    const reads = pngReads;
    expect(await masks.get('cam', ...stored(10))).toBe(a);
    expect(d.count()).toBe(1);
    expect(pngReads).toBe(reads); // a hit reads no PNG
  });

  it('is null when the PNG is gone by the time it is needed', async () => {
    const masks = new DecodedMasks(8, counting().decode);
    expect(await masks.get('cam', { at: 1, version: '1', width: 4, height: 2, uses: 1 }, async () => null)).toBeNull();
    expect(masks.size).toBe(0);
  });

  it('decodes again when the mask was re-segmented (new capture time or model version) or changed size', async () => {
    const d = counting();
    const masks = new DecodedMasks(8, d.decode);
    await masks.get('cam', ...stored(10));
    await masks.get('cam', ...stored(11));
    await masks.get('cam', ...stored(11, '2'));
    await masks.get('cam', ...stored(11, '2', 8, 2));
    expect(d.count()).toBe(4);
  });

  it('uses a mask the worker segmented itself without decoding it', async () => {
    const d = counting();
    const masks = new DecodedMasks(8, d.decode);
    const own: WaterMask = { width: 4, height: 2, data: new Uint8Array(8) };
    masks.remember('cam', 20, '1', own);
    expect(await masks.get('cam', ...stored(20))).toBe(own);
    expect(d.count()).toBe(0);
  });

  it('keeps at most maxCameras, dropping the least recently used', async () => {
    const d = counting();
    const masks = new DecodedMasks(2, d.decode);
    await masks.get('a', ...stored(1));
    await masks.get('b', ...stored(1));
    await masks.get('a', ...stored(1)); // a is now the most recent
    await masks.get('c', ...stored(1)); // b goes
    expect(masks.size).toBe(2);
    await masks.get('a', ...stored(1));
    expect(d.count()).toBe(3);
    await masks.get('b', ...stored(1));
    expect(d.count()).toBe(4);
  });

  it('counts the frames that used a held mask, keeping the larger count when Redis describes the same mask again', async () => {
    const masks = new DecodedMasks(8, counting().decode);
    await masks.get('cam', ...stored(10, '1', 4, 2, 3));
    expect(masks.held('cam')?.uses).toBe(3); // taken up where Redis's count stood
    masks.use('cam');
    masks.use('cam');
    expect(masks.held('cam')?.uses).toBe(5);
    await masks.get('cam', ...stored(10, '1', 4, 2, 1)); // the same mask, as written at segmentation
    expect(masks.held('cam')?.uses).toBe(5);
    await masks.get('cam', ...stored(11, '1', 4, 2, 1)); // re-segmented elsewhere: a new count
    expect(masks.held('cam')?.uses).toBe(1);
    masks.use('other'); // a camera not held: nothing to count
    expect(masks.held('other')).toBeUndefined();
  });
});
