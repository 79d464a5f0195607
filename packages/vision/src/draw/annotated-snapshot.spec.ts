import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { InvalidInputError, type Detection } from '@riverwatch/common';
import { createWaterMask } from '../mask/water-mask.ts';
import { detectionsSvg, drawAnnotatedSnapshot, snapshotLabel } from './annotated-snapshot.ts';

const grey = () => sharp({ create: { width: 200, height: 100, channels: 3, background: { r: 128, g: 128, b: 128 } } }).jpeg().toBuffer();
const det: Detection = { classId: 0, className: 'bottle', score: 0.876, box: [20, 40, 80, 90], trackId: 7 };
const pixel = async (jpeg: Buffer, x: number, y: number) => {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  const o = (y * info.width + x) * info.channels;
  return [data[o]!, data[o + 1]!, data[o + 2]!];
};

describe('annotated snapshot', () => {
  it('labels carry track id, class name and score', () => {
    expect(snapshotLabel(det)).toBe('#7 bottle 0.88');
    expect(snapshotLabel({ ...det, className: '', trackId: undefined }, ['plastic bottle'])).toBe('plastic bottle 0.88');
  });

  it('escapes class names in the SVG so a name cannot break the overlay', () => {
    expect(detectionsSvg(10, 10, [{ ...det, className: 'a<b>&"' }])).toContain('a&#60;b&#62;&#38;&#34;');
  });

  it('draws boxes and a translucent water overlay onto a JPEG of the frame size', async () => {
    const mask = createWaterMask(200, 100);
    mask.data.fill(1, 50 * 200);
    const jpeg = await drawAnnotatedSnapshot(await grey(), [det], { mask });
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 200, 100]);
    const [r, g, b] = await pixel(jpeg, 20, 65); // left edge of the box: class 0 red
    expect(r - g).toBeGreaterThan(60);
    expect(r - b).toBeGreaterThan(60);
    const [wr, , wb] = await pixel(jpeg, 150, 95); // water, no box: tinted blue
    expect(wb - wr).toBeGreaterThan(40);
    const dry = await pixel(jpeg, 150, 10); // bank, no box: unchanged grey
    dry.forEach((v) => expect(Math.abs(v - 128)).toBeLessThan(8));
  });

  it('returns the frame unchanged in content when there is nothing to draw', async () => {
    const jpeg = await drawAnnotatedSnapshot(await grey(), []);
    (await pixel(jpeg, 100, 50)).forEach((v) => expect(Math.abs(v - 128)).toBeLessThan(8));
  });

  it('raises InvalidInputError for a corrupt frame', async () => {
    await expect(drawAnnotatedSnapshot(Buffer.from('nope'), [det])).rejects.toBeInstanceOf(InvalidInputError);
  });
});
